import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdHashSet } from './id-set.js';

describe('IdHashSet', () => {
  it('holds what was added, and nothing else, as it grows', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 40 }), { maxLength: 400 }), (ids) => {
        const half = ids.slice(0, ids.length >> 1);
        const set = new IdHashSet(1_000);
        for (const id of half) expect(set.add(id)).toBe(true);
        expect(set.size).toBe(half.length);
        for (const id of half) expect(set.has(id)).toBe(true);
        for (const id of ids.slice(half.length)) expect(set.has(id)).toBe(false);
      }),
    );
  });

  it('refuses ids beyond maxSize; adding an id again is not a new id', () => {
    const set = new IdHashSet(3);
    expect([set.add('a'), set.add('b'), set.add('a'), set.add('c'), set.add('d')]).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(set.size).toBe(3);
    expect(set.has('d')).toBe(false);
  });

  it('tells 100,000 request ids from 100,000 others without a false match', () => {
    const set = new IdHashSet(100_000);
    for (let i = 0; i < 100_000; i++) set.add(crypto.randomUUID());
    let matches = 0;
    for (let i = 0; i < 100_000; i++) if (set.has(crypto.randomUUID())) matches++;
    expect(matches).toBe(0);
  });
});
