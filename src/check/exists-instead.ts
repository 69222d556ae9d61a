// "What exists instead": a few names next to a dangling reference, nearest first, bounded so a
// project with hundreds of images still gets one readable line.

const shown = 5;

export interface Candidate {
  /** What the user would type (name or id). */
  key: string;
  /** How it is shown, e.g. `ubuntu-22.04 (id …)`. */
  label: string;
}

/** `a, b, c and 7 more`, nearest to `wanted` first; `none` for an empty list. */
export function existsInstead(wanted: string, candidates: readonly Candidate[]): string {
  if (candidates.length === 0) return 'none';
  const w = wanted.toLowerCase();
  const ranked = [...candidates].sort(
    (a, b) =>
      distance(w, a.key.toLowerCase()) - distance(w, b.key.toLowerCase()) || a.label.localeCompare(b.label),
  );
  const head = ranked.slice(0, shown).map((c) => c.label);
  const rest = ranked.length - head.length;
  return rest > 0 ? `${head.join(', ')} and ${rest} more` : head.join(', ');
}

/** Levenshtein distance, bounded input (names are short). */
function distance(a: string, b: string): number {
  const x = a.slice(0, 64);
  const y = b.slice(0, 64);
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length]!;
}
