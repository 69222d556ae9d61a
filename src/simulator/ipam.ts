// IPv4 address allocation from a network's prefixes: the next free host address after the last
// one handed out (wrapping around), skipping the network and broadcast addresses, the gateway and
// the nameservers.
export function ipToInt(ip: string): number | undefined {
  const parts = ip.trim().split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export const intToIp = (n: number): string =>
  [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export function parseCidr(cidr: string): { base: number; size: number } | undefined {
  const [ip, bitsRaw] = cidr.split('/');
  const addr = ip === undefined ? undefined : ipToInt(ip);
  const bits = Number(bitsRaw);
  if (addr === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  return { base: addr - (addr % size), size };
}

export class Ipam {
  /** Used addresses per network id. */
  private readonly used = new Map<string, Set<number>>();
  private readonly cursor = new Map<string, number>();

  reserve(networkId: string, ip: string): void {
    const n = ipToInt(ip);
    if (n === undefined) return;
    let set = this.used.get(networkId);
    if (!set) {
      set = new Set();
      this.used.set(networkId, set);
    }
    set.add(n);
  }

  release(networkId: string, ip: string | undefined): void {
    const n = ip === undefined ? undefined : ipToInt(ip);
    if (n !== undefined) this.used.get(networkId)?.delete(n);
  }

  clear(): void {
    this.used.clear();
    this.cursor.clear();
  }

  /** The next free address, or undefined when the prefixes are exhausted. */
  allocate(networkId: string, prefixes: string[], excluded: string[]): string | undefined {
    const used = this.used.get(networkId) ?? new Set<number>();
    const skip = new Set(excluded.map(ipToInt).filter((n): n is number => n !== undefined));
    const ranges = prefixes
      .map(parseCidr)
      .filter((r): r is { base: number; size: number } => r !== undefined && r.size >= 4)
      .map((r) => ({ first: r.base + 1, last: r.base + r.size - 2 }));
    const total = ranges.reduce((s, r) => s + (r.last - r.first + 1), 0);
    if (total === 0) return undefined;
    // Walk from a cursor so thousands of allocations do not rescan the used low addresses.
    let index = this.cursor.get(networkId) ?? 0;
    for (let tried = 0; tried < total; tried++, index = (index + 1) % total) {
      let rest = index;
      let candidate = 0;
      for (const r of ranges) {
        const len = r.last - r.first + 1;
        if (rest < len) {
          candidate = r.first + rest;
          break;
        }
        rest -= len;
      }
      if (used.has(candidate) || skip.has(candidate)) continue;
      this.cursor.set(networkId, (index + 1) % total);
      this.reserve(networkId, intToIp(candidate));
      return intToIp(candidate);
    }
    return undefined;
  }
}
