/*
 * "Did you mean …?" for config errors: the valid name closest to a misspelled one. Runs
 * only when a config is refused, never on a call.
 */

/**
 * The edit distance between `a` and `b`, ignoring case: insertions, deletions,
 * substitutions and swaps of two adjacent characters each count 1 (optimal string
 * alignment), so `glod` is 1 from `gold`.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // Three rolling rows: the swap looks two rows back.
  let before = new Array<number>(t.length + 1).fill(0);
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  let row = new Array<number>(t.length + 1).fill(0);
  for (let i = 1; i <= s.length; i++) {
    row[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        d = Math.min(d, before[j - 2]! + 1);
      row[j] = d;
    }
    [before, prev, row] = [prev, row, before];
  }
  return prev[t.length]!;
}

/**
 * The edit distance from `id` to the nearest string the glob matches, ignoring case: `*`
 * matches any run of characters and `?` any one character, for free; the other characters
 * count as in `editDistance`. `gtp-6*` is 1 from `gpt-6-luna` (one swap away from
 * matching it).
 */
export function globDistance(pattern: string, id: string): number {
  const p = pattern.toLowerCase();
  const t = id.toLowerCase();
  // prev[j]: distance between p[0..i-1) and t[0..j); before: the row above it.
  let before = new Array<number>(t.length + 1).fill(0);
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  let row = new Array<number>(t.length + 1).fill(0);
  for (let i = 1; i <= p.length; i++) {
    const c = p[i - 1]!;
    if (c === '*') {
      // `*` takes t[k..j) for any k ≤ j: the best of the row above up to j.
      row[0] = prev[0]!;
      for (let j = 1; j <= t.length; j++) row[j] = Math.min(prev[j]!, row[j - 1]!);
    } else {
      const b = p[i - 2];
      const swappable = b !== undefined && b !== '*' && b !== '?' && c !== '?';
      row[0] = prev[0]! + 1;
      for (let j = 1; j <= t.length; j++) {
        const cost = c === '?' || c === t[j - 1] ? 0 : 1;
        let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
        if (swappable && j > 1 && c === t[j - 2] && b === t[j - 1]) d = Math.min(d, before[j - 2]! + 1);
        row[j] = d;
      }
    }
    [before, prev, row] = [prev, row, before];
  }
  return prev[t.length]!;
}

/**
 * The candidate nearest to `value` by `distance`, when it is near enough to be the name
 * meant: at most a third of the value's length (and at least 1) edits away. Ties go to the
 * first candidate. Undefined when none is near.
 */
export function closest(
  value: string,
  candidates: Iterable<string>,
  distance: (value: string, candidate: string) => number = editDistance,
): string | undefined {
  const limit = Math.max(1, Math.floor(value.replace(/[*?]/g, '').length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const d = distance(value, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
