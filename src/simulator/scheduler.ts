// Pending server transitions, kept in a min-heap by due time and applied lazily whenever the
// simulator is asked anything. No timer per server: thousands of booting servers cost one heap.
export interface Due {
  at: number;
  serverId: string;
}

export class DueQueue {
  private heap: Due[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(d: Due): void {
    const h = this.heap;
    h.push(d);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  /** Removes and returns every entry due at or before `now`, earliest first. */
  popDue(now: number): Due[] {
    const out: Due[] = [];
    while (this.heap.length > 0 && this.heap[0]!.at <= now) out.push(this.pop());
    return out;
  }

  clear(): void {
    this.heap = [];
  }

  private pop(): Due {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
