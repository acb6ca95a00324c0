import { describe, expect, it } from 'vitest';
import { createMemoryStore } from './memory.js';

const WINDOW = 60_000;

describe('createMemoryStore rateTake / rateAdjust (GCRA)', () => {
  it('allows a burst of `limit`, then one per interval', async () => {
    const store = createMemoryStore();
    const t0 = 1_000_000;
    for (let i = 0; i < 6; i++) expect((await store.rateTake('k', 1, 6, WINDOW, t0)).ok).toBe(true);
    // Interval = 60 000 / 6 = 10 000 ms.
    expect(await store.rateTake('k', 1, 6, WINDOW, t0)).toEqual({ ok: false, retryAfterMs: 10_000 });
    expect(await store.rateTake('k', 1, 6, WINDOW, t0 + 9_999)).toEqual({ ok: false, retryAfterMs: 1 });
    expect((await store.rateTake('k', 1, 6, WINDOW, t0 + 10_000)).ok).toBe(true);
    // One more per interval, not a new burst.
    expect((await store.rateTake('k', 1, 6, WINDOW, t0 + 10_000)).ok).toBe(false);
    expect((await store.rateTake('k', 1, 6, WINDOW, t0 + 20_000)).ok).toBe(true);
  });

  it('refills smoothly: after a whole window idle, a full burst again and no more', async () => {
    const store = createMemoryStore();
    for (let i = 0; i < 3; i++) await store.rateTake('k', 1, 3, WINDOW, 0);
    let allowed = 0;
    for (let i = 0; i < 10; i++) if ((await store.rateTake('k', 1, 3, WINDOW, 120_000)).ok) allowed++;
    expect(allowed).toBe(3);
  });

  it('takes weighted costs and says when a cost would fit', async () => {
    const store = createMemoryStore();
    expect((await store.rateTake('t', 700, 1_000, WINDOW, 0)).ok).toBe(true);
    // 300 left; 500 needs 200 more tokens = 200 × 60 ms.
    expect(await store.rateTake('t', 500, 1_000, WINDOW, 0)).toEqual({ ok: false, retryAfterMs: 12_000 });
    expect((await store.rateTake('t', 300, 1_000, WINDOW, 0)).ok).toBe(true);
    expect((await store.rateTake('t', 1, 1_000, WINDOW, 0)).ok).toBe(false);
  });

  it('a refused take changes nothing', async () => {
    const store = createMemoryStore();
    await store.rateTake('k', 2, 2, WINDOW, 0);
    for (let i = 0; i < 5; i++) await store.rateTake('k', 1, 2, WINDOW, 0);
    expect((await store.rateTake('k', 1, 2, WINDOW, 30_000)).ok).toBe(true);
  });

  it('rateAdjust gives back (negative) and charges (positive)', async () => {
    const store = createMemoryStore();
    await store.rateTake('t', 1_000, 1_000, WINDOW, 0);
    expect((await store.rateTake('t', 100, 1_000, WINDOW, 0)).ok).toBe(false);
    await store.rateAdjust('t', -400, 1_000, WINDOW, 0);
    expect((await store.rateTake('t', 400, 1_000, WINDOW, 0)).ok).toBe(true);
    expect((await store.rateTake('t', 1, 1_000, WINDOW, 0)).ok).toBe(false);
    // Charging more pushes the next fit later: 100 over = 6 000 ms, plus the 1 asked.
    await store.rateAdjust('t', 100, 1_000, WINDOW, 0);
    expect(await store.rateTake('t', 1, 1_000, WINDOW, 0)).toEqual({ ok: false, retryAfterMs: 6_060 });
  });

  it('rateAdjust never gives back more than a full burst, nor touches an unknown key', async () => {
    const store = createMemoryStore();
    await store.rateTake('t', 10, 100, WINDOW, 0);
    await store.rateAdjust('t', -1_000, 100, WINDOW, 0);
    let allowed = 0;
    for (let i = 0; i < 200; i++) if ((await store.rateTake('t', 1, 100, WINDOW, 0)).ok) allowed++;
    expect(allowed).toBe(100);
    await store.rateAdjust('other', -5, 100, WINDOW, 0);
    expect((await store.rateTake('other', 100, 100, WINDOW, 0)).ok).toBe(true);
    expect((await store.rateTake('other', 1, 100, WINDOW, 0)).ok).toBe(false);
  });

  it('keeps keys apart', async () => {
    const store = createMemoryStore();
    expect((await store.rateTake('a', 1, 1, WINDOW, 0)).ok).toBe(true);
    expect((await store.rateTake('b', 1, 1, WINDOW, 0)).ok).toBe(true);
    expect((await store.rateTake('a', 1, 1, WINDOW, 0)).ok).toBe(false);
  });
});
