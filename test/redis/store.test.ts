import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/redis/index.js';
import { sleep } from '../support/harness.js';
import { describeStoreContract } from '../support/store-contract.js';
import { hasRedisServer, type RedisServer, startRedisServer } from './setup.js';

const WINDOW = 60_000;

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  if (!hasRedisServer) return;
  server = await startRedisServer();
  redis = await server.client();
});
afterAll(() => server?.close());

describe.skipIf(!hasRedisServer)('redis', () => {
  describeStoreContract('redis', () => createRedisStore(redis, { prefix: 'test:' }), {
    reset: async () => {
      await redis.flushall();
    },
    checkExpiry: async (key, ttlMs) => {
      const ttl = await redis.pttl(`test:${key}`);
      expect(ttl).toBeGreaterThan(ttlMs - 1_000);
      expect(ttl).toBeLessThanOrEqual(ttlMs);
    },
  });
});

describe.skipIf(!hasRedisServer)('createRedisStore on Redis', () => {
  it('stores a budget as a hash of integers under prefix + key, in one slot per tenant', async () => {
    await redis.flushall();
    const store = createRedisStore(redis, { prefix: 'rp:' });
    await store.reserve('budget:{acme}:tenant:day', 2_000, 10_000, 120_000);
    await store.settle(
      'budget:{acme}:tenant:day',
      2_000,
      { cost: 1_234, inputTokens: 3, outputTokens: 4 },
      120_000,
    );
    expect(await redis.hgetall('rp:budget:{acme}:tenant:day')).toEqual({
      spent: '1234',
      reserved: '0',
      inputTokens: '3',
      outputTokens: '4',
      requests: '1',
    });
    await store.rateTake('rate:{acme}:requests', 1, 10, WINDOW, Date.now());
    const pttl = await redis.pttl('rp:rate:{acme}:requests');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(WINDOW);
    const slot = (key: string) => redis.call('CLUSTER', 'KEYSLOT', key).catch(() => undefined);
    // CLUSTER KEYSLOT needs cluster mode on some builds; when it answers, the slots match.
    const [a, b] = await Promise.all([slot('rp:budget:{acme}:tenant:day'), slot('rp:rate:{acme}:requests')]);
    expect(a).toEqual(b);
  });
});

describe.skipIf(!hasRedisServer)('createRedisStore while Redis is down', () => {
  it('fails fast even on a client with ioredis defaults (offline queue on), reports, and recovers', async () => {
    const { Redis } = await import('ioredis');
    const plain = new Redis({ port: server.port, host: '127.0.0.1', retryStrategy: () => 50 });
    plain.on('error', () => {});
    await new Promise((r) => plain.once('ready', r));
    const closed = createRedisStore(plain, { prefix: 'down:' });
    const open = createRedisStore(plain, { prefix: 'down:', onError: 'fail-open' });
    const seen: [string, boolean][] = [];
    closed.onError?.((e, failOpen) => seen.push([e.message, failOpen]));
    open.onError?.((e, failOpen) => seen.push([e.message, failOpen]));
    try {
      await server.stop();
      await sleep(50);
      const t = performance.now();
      const error = await closed.reserve('budget:{down}:tenant:x', 1, 10, undefined).catch((e: unknown) => e);
      expect(performance.now() - t).toBeLessThan(500);
      expect(error).toMatchObject({
        name: 'RouterError',
        code: 'store_unavailable',
        tenant: 'down',
        retryable: true,
      });
      for (let i = 0; i < 20; i++)
        await closed.rateTake('rate:{down}:requests', 1, 5, WINDOW, 0).catch(() => {});
      // Fail-open: the fallback (memory) keeps local limits.
      let allowed = 0;
      for (let i = 0; i < 10; i++)
        if ((await open.rateTake('rate:{down}:requests', 1, 5, WINDOW, 0)).ok) allowed++;
      expect(allowed).toBe(5);
      // One report per second per kind of error and mode, not one per call.
      expect(seen.filter(([, o]) => !o)).toHaveLength(1);
      expect(seen.filter(([, o]) => o)).toHaveLength(1);
    } finally {
      await server.start();
    }
    const deadline = Date.now() + 5_000;
    while (
      !(await closed.read('budget:{down}:tenant:x').then(
        () => true,
        () => false,
      ))
    ) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(50);
    }
    expect((await open.rateTake('rate:{down}:requests', 1, 5, WINDOW, 0)).ok).toBe(true);
    plain.disconnect();
    // The shared client reconnects too.
    while (redis.status !== 'ready') await sleep(50);
  });
});
