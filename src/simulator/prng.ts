// A small seedable PRNG (mulberry32) so fault decisions are reproducible for a given seed and
// request order.
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  readonly seed: number;
}

export function createPrng(seed: number): Prng {
  let a = seed >>> 0;
  return {
    seed,
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** True with probability p; p >= 1 always fires without consuming randomness. */
export function chance(rng: Prng, p: number | undefined): boolean {
  if (p === undefined || p >= 1) return true;
  if (p <= 0) return false;
  return rng.next() < p;
}
