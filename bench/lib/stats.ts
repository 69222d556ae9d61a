// Small numeric helpers for the benchmark: percentiles, rounding, counter arithmetic.
import { loadavg } from 'node:os';

/** Nearest-rank percentile of already sorted numbers (q in 0..1). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  min: number;
  mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return {
    count: s.length,
    p50: percentile(s, 0.5),
    p90: percentile(s, 0.9),
    p99: percentile(s, 0.99),
    max: s[s.length - 1] ?? Number.NaN,
    min: s[0] ?? Number.NaN,
    mean,
  };
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function load(): { load1: number; load5: number; load15: number } {
  const [a, b, c] = loadavg();
  return { load1: round(a ?? 0), load5: round(b ?? 0), load15: round(c ?? 0) };
}

export type OpCounts = Record<string, number>;

/** b - a per operation (operations with 0 left out). */
export function diffOps(a: OpCounts, b: OpCounts): OpCounts {
  const out: OpCounts = {};
  for (const [k, v] of Object.entries(b)) {
    const d = v - (a[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

export function addOps(...xs: OpCounts[]): OpCounts {
  const out: OpCounts = {};
  for (const x of xs) for (const [k, v] of Object.entries(x)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** IaaS calls: every counted call except the token endpoint. */
export function iaasTotal(ops: OpCounts): number {
  return Object.entries(ops)
    .filter(([k]) => k !== 'Token')
    .reduce((a, [, v]) => a + v, 0);
}

export function perMachine(ops: OpCounts, n: number): OpCounts {
  return Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, round(v / n, 3)]));
}
