import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortInPlace } from './sort.js';

describe('sortInPlace', () => {
  it('orders as Array.prototype.sort does, stably, short arrays and long', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 5 }), id: fc.nat() }), { maxLength: 40 }),
        (items) => {
          const compare = (a: { key: number }, b: { key: number }) => a.key - b.key;
          const expected = [...items].sort(compare);
          const copy = [...items];
          expect(sortInPlace(copy, compare)).toBe(copy);
          expect(copy).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
