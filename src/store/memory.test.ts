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
