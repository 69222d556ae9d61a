// Call counters per operation and status, plus injected faults per kind. The admin API is never
// counted, so tests can read counters without disturbing them.
import type { Counters } from './types.ts';

export class CounterSet {
  private c: Counters = CounterSet.empty();

  static empty(): Counters {
    return { total: 0, byOperation: {}, byStatus: {}, byOperationAndStatus: {}, faults: {} };
  }

  call(operation: string, status: number): void {
    const s = String(status);
    this.c.total++;
    this.c.byOperation[operation] = (this.c.byOperation[operation] ?? 0) + 1;
    this.c.byStatus[s] = (this.c.byStatus[s] ?? 0) + 1;
    const per = this.c.byOperationAndStatus[operation] ?? {};
    per[s] = (per[s] ?? 0) + 1;
    this.c.byOperationAndStatus[operation] = per;
  }

  fault(kind: string): void {
    this.c.faults[kind] = (this.c.faults[kind] ?? 0) + 1;
  }

  get(): Counters {
    return structuredClone(this.c);
  }

  reset(): void {
    this.c = CounterSet.empty();
  }
}
