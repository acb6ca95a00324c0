import { describe, expect, it } from 'vitest';
import { embedBatches } from './embed-batches.js';

describe('embedBatches', () => {
  it('keeps every text, in order, in batches of at most maxInputs', () => {
    const texts = Array.from({ length: 5_000 }, (_, i) => `t${i}`);
    const batches = [...embedBatches(texts, 2_048)];
    expect(batches.map((b) => b.length)).toEqual([2_048, 2_048, 904]);
    expect(batches.flat()).toEqual(texts);
  });

  it('closes a batch before it passes the token bound, and gives an oversized text a batch of its own', () => {
    const batches = [...embedBatches(['aaaa', 'bbbb', 'cc', 'dddddddddd', 'e'], 100, 8)];
    expect(batches).toEqual([['aaaa', 'bbbb'], ['cc'], ['dddddddddd'], ['e']]);
  });

  it('sends one batch when everything fits', () => {
    expect([...embedBatches(['x'], 1)]).toEqual([['x']]);
  });
});
