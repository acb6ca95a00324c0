/** Arrays up to this length are sorted by insertion. */
const SMALL = 16;

/**
 * Sorts `array` in place, stably, like `Array.prototype.sort(compare)`, and returns it. A
 * short array (a call's candidates, a model's deployments) is sorted by insertion: V8's
 * TimSort allocates its work area on every call, about 0.9 KB even for three items.
 */
export function sortInPlace<T>(array: T[], compare: (a: T, b: T) => number): T[] {
  const n = array.length;
  if (n > SMALL) return array.sort(compare);
  for (let i = 1; i < n; i++) {
    const item = array[i]!;
    let j = i - 1;
    while (j >= 0 && compare(array[j]!, item) > 0) {
      array[j + 1] = array[j]!;
      j--;
    }
    array[j + 1] = item;
  }
  return array;
}
