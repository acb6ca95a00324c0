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
  describeStoreContract('redis', () => createRedisStore(redis, { prefix: 'test:', clock: 'caller' }), {
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
    const lines = [{ key: 'budget:{acme}:tenant:day', limit: 10_000, ttlMs: 120_000 }];
    const lease = { id: 'req-1', ttlMs: 60_000 };
    await store.reserve(lines, 2_000, lease, Date.now());
    expect(await redis.hgetall('rp:budget:{acme}:tenant:day')).toMatchObject({
      reserved: '2000',
      'lease:req-1': '2000',
    });
    expect(await redis.zscore('rp:budget:{acme}:tenant:day:leases', 'req-1')).not.toBeNull();
    await store.settle(lines, lease, { cost: 1_234, inputTokens: 3, outputTokens: 4 }, Date.now());
    expect(await redis.zcard('rp:budget:{acme}:tenant:day:leases')).toBe(0);
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
      const error = await closed
        .reserve([{ key: 'budget:{down}:tenant:x', limit: 10 }], 1, { id: 'r', ttlMs: 1_000 }, 0)
        .catch((e: unknown) => e);
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
      !(await closed.read('budget:{down}:tenant:x', 0).then(
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

describe.skipIf(!hasRedisServer)('createRedisStore: leases and the server clock', () => {
  const X = 'budget:{lease}:tenant:total';
  const lines = [{ key: X, limit: 1_000_000 }];

  it("runs windows and leases on the Redis server's clock, whatever the caller's clock says", async () => {
    await redis.flushall();
    const a = createRedisStore(redis);
    const b = createRedisStore(redis);
    const ahead = Date.now() + 10_000;
    const behind = Date.now() - 10_000;
    let allowed = 0;
    for (let i = 0; i < 20; i++) {
      const store = i % 2 === 0 ? a : b;
      if ((await store.rateTake('rate:{skew}:requests', 1, 10, WINDOW, i % 2 === 0 ? ahead : behind)).ok)
        allowed++;
    }
    expect(allowed).toBe(10);
    // The store follows the server's clock (this machine's, here: within a second).
    expect(Math.abs(a.now!() - Date.now())).toBeLessThan(1_000);
    // A lease of 300 ms lapses 300 ms later on the server, though the caller said 2001.
    await a.reserve(lines, 500, { id: 'short', ttlMs: 300 }, Date.UTC(2001, 0, 1));
    expect((await b.read(X, 0)).reserved).toBe(500);
    await sleep(400);
    expect((await b.read(X, 0)).reserved).toBe(0);
  });

  it('a reserve that timed out in a stall is given back once Redis answers: nothing stays reserved', async () => {
    await redis.flushall();
    const store = createRedisStore(redis, { timeoutMs: 100 });
    server.pause();
    try {
      const error = await store
        .reserve(lines, 700, { id: 'stalled', ttlMs: 600_000 }, 0)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'store_unavailable' });
    } finally {
      server.resume();
    }
    // The script ran late, after the store gave up; the compensation ran after it.
    const deadline = Date.now() + 3_000;
    for (;;) {
      const hash = await redis.hgetall(`routeplane:${X}`);
      if (hash.reserved === '0' && hash['lease:stalled'] === undefined) break;
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(20);
    }
    expect(await redis.zcard(`routeplane:${X}:leases`)).toBe(0);
  });

  it('one script per phase: reserve and settle of three budget lines are one round trip each', async () => {
    await redis.flushall();
    const store = createRedisStore(redis);
    const three = [
      { key: 'budget:{rt}:tenant:total', limit: 1e9 },
      { key: 'budget:{rt}:user:u', limit: 1e9, ttlMs: 60_000 },
      { key: 'budget:{rt}:tag:team=a', limit: 1e9, ttlMs: 60_000 },
    ];
    const lease = { id: 'rt', ttlMs: 60_000 };
    await store.reserve(three, 1, lease, 0); // loads the scripts
    await store.settle(three, lease, { cost: 1, inputTokens: 1, outputTokens: 1 }, 0);
    let sent = 0;
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((...args: Parameters<typeof send>) => {
      sent++;
      return send(...args);
    }) as typeof redis.sendCommand;
    try {
      const lease2 = { id: 'rt2', ttlMs: 60_000 };
      await store.reserve(three, 1, lease2, 0);
      expect(sent).toBe(1);
      await store.settle(three, lease2, { cost: 1, inputTokens: 1, outputTokens: 1 }, 0);
      expect(sent).toBe(2);
    } finally {
      redis.sendCommand = send;
    }
  });
});
