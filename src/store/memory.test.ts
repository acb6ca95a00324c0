import { describe, expect, it } from 'vitest';
import { describeStoreContract } from '../../test/support/store-contract.js';
import { createMemoryStore } from './memory.js';

// The reference store runs the shared contract on its own, with or without a Redis server.
describeStoreContract('memory', () => createMemoryStore());

describe('createMemoryStore: settled lease ids', () => {
  it('stays idempotent for recent ids after more settles than it keeps', async () => {
    const store = createMemoryStore();
    const lines = [{ key: 'budget:{a}:tenant:total', limit: Number.POSITIVE_INFINITY }];
    const usage = { cost: 1, inputTokens: 0, outputTokens: 0 };
    for (let i = 0; i < 120_000; i++) await store.settle(lines, { id: `r${i}`, ttlMs: 1_000 }, usage, 0);
    const before = await store.read(lines[0]!.key, 0);
    expect(before.spent).toBe(120_000);
    // The newest ids are remembered: a retry of one changes nothing.
    await store.settle(lines, { id: 'r119999', ttlMs: 1_000 }, usage, 0);
    await store.settle(lines, { id: 'r100000', ttlMs: 1_000 }, usage, 0);
    expect(await store.read(lines[0]!.key, 0)).toEqual(before);
  });
});

describe('createMemoryStore: what it forgets', () => {
  const W = 60_000;
  const T = 1_700_000_000_000;

  it('forgets a rate key once its bucket is full and a window has passed, as a Redis key expires', async () => {
    // A sweep on every write, so the forgetting is seen at once.
    const kept = createMemoryStore({ sweepEvery: 1 });
    expect((await kept.rateTake('k', 1, 10, W, T)).ok).toBe(true);
    // Full again, but within a window of its last write: kept, so a charge after the fact applies.
    await kept.rateTake('other', 1, 10, W, T + W / 2);
    await kept.rateAdjust('k', 10, 10, W, T + W / 2);
    expect((await kept.rateTake('k', 10, 10, W, T + W / 2)).ok).toBe(false);

    const forgotten = createMemoryStore({ sweepEvery: 1 });
    expect((await forgotten.rateTake('k', 10, 10, W, T)).ok).toBe(true);
    // Full again and a window old: the next write's sweep drops it, and an adjustment of an
    // unknown key is left alone (Store.rateAdjust), as on Redis once the key has expired.
    await forgotten.rateTake('other', 1, 10, W, T + W + 1);
    await forgotten.rateAdjust('k', 10, 10, W, T + W + 1);
    expect((await forgotten.rateTake('k', 10, 10, W, T + W + 1)).ok).toBe(true);
  });

  it('keeps nothing of a lease once it has ended: a key reads as if no call had held it', async () => {
    const store = createMemoryStore();
    const lines = [{ key: 'budget:{a}:tenant:total', limit: 1_000 }];
    await store.reserve(lines, 600, { id: 'r1', ttlMs: 1_000 }, T);
    await store.release(lines, { id: 'r1', ttlMs: 1_000 }, T);
    // A renewal of the ended lease must not bring its amount back.
    await store.renew(lines, { id: 'r1', ttlMs: 1_000 }, T);
    expect((await store.read(lines[0]!.key, T)).reserved).toBe(0);
    expect((await store.reserve(lines, 1_000, { id: 'r2', ttlMs: 1_000 }, T)).ok).toBe(true);
    // A lapsed lease is reaped the same way.
    expect((await store.read(lines[0]!.key, T + 1_000)).reserved).toBe(0);
    expect((await store.reserve(lines, 1_000, { id: 'r3', ttlMs: 1_000 }, T + 1_000)).ok).toBe(true);
  });
});
