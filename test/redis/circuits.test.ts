import type { Redis } from 'ioredis';
import { createRouter, type Router } from 'routeplane';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { circuitKey, createRedisCircuits } from '../../src/redis/circuits.js';
import { createRedisStore } from '../../src/redis/index.js';
import type { SharedCircuitOptions } from '../../src/store/circuits.js';
import { collect, sleep, useEmulator, waitFor } from '../support/harness.js';
import { hasRedisServer, type RedisServer, startRedisServer } from './setup.js';

const emu = useEmulator();

const PRIMARY = 'gpt-6.2-sol';
const FALLBACK = 'claude-sonnet-5-5';
const COOLDOWN = 1_200;
const API_KEY = 'emu-acme-key-must-not-leak';
const messages = [{ role: 'user' as const, content: 'Hello there' }];

let server: RedisServer;
let clients: Redis[];
beforeAll(async () => {
  if (!hasRedisServer) return;
  server = await startRedisServer();
  clients = await Promise.all([server.client(), server.client(), server.client()]);
});
afterAll(() => server?.close());
beforeEach(async () => {
  if (!hasRedisServer) return;
  await clients[0]!.flushall();
});

const routers: Router[] = [];
beforeEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
});

/** A router on its own Redis client: the primary's circuit opens after 3 failures in a row. */
function instance(redis: Redis) {
  const router = createRouter({
    providers: emu.providers,
    retry: { retries: 0 },
    breaker: { consecutiveFailures: 3, minSamples: 100, cooldownMs: COOLDOWN },
    tenants: {
      acme: {
        model: PRIMARY,
        fallbacks: [FALLBACK],
        credentials: { openai: { id: 'acme-openai', apiKey: API_KEY } },
      },
    },
    store: createRedisStore(redis, { onError: 'fail-open', timeoutMs: 200 }),
  });
  routers.push(router);
  return {
    router,
    opened: collect(router, 'circuit.opened'),
    closed: collect(router, 'circuit.closed'),
    storeErrors: collect(router, 'store.error'),
  };
}

const call = (router: Router) => router.complete({ tenant: 'acme', messages });

describe.skipIf(!hasRedisServer)('circuits shared by two routers on one Redis', () => {
  it("opens on every router: B skips A's failing deployment within a second; one probe in all closes it for both", async () => {
    const a = instance(clients[0]!);
    const b = instance(clients[1]!);
    // B has used the deployment, and it answered.
    expect((await call(b.router)).model).toBe(PRIMARY);

    emu.failRandomly(PRIMARY, { rate: 1, faults: [{ status: 500 }] });
    for (let i = 0; i < 3; i++) expect((await call(a.router)).model).toBe(FALLBACK);
    await waitFor(() => a.opened.length === 1, { timeoutMs: 1_000, intervalMs: 10 });
    const openedAt = Date.now();
    expect(a.opened[0]).toMatchObject({
      model: PRIMARY,
      provider: 'openai',
      credentialId: 'acme-openai',
      reason: 'consecutive_failures',
      errorCode: 'server_error',
      tenant: 'acme',
    });
    expect(a.opened[0]!.shared).toBeUndefined();
    expect(emu.hits(PRIMARY)).toBe(4);

    // B never saw a failure; its sync brings the open circuit within about a second.
    const learning = Date.now();
    await waitFor(() => b.opened.length === 1, { timeoutMs: 1_500, intervalMs: 10 });
    expect(Date.now() - learning).toBeLessThan(1_300);
    expect(b.opened[0]).toMatchObject({ model: PRIMARY, reason: 'consecutive_failures', shared: true });
    expect(b.opened[0]!.requestId).toBeUndefined();
    const skipped = await call(b.router);
    expect(skipped.model).toBe(FALLBACK);
    expect(skipped.attempts.map((x) => x.model)).toEqual([FALLBACK]);
    expect(emu.hits(PRIMARY)).toBe(4);

    // The primary recovers; after the cooldown, eight concurrent calls on both routers send one probe.
    emu.reset();
    await waitFor(() => Date.now() >= openedAt + COOLDOWN + 20, {
      timeoutMs: COOLDOWN + 100,
      intervalMs: 10,
    });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => call((i % 2 ? a : b).router)));
    expect(emu.hits(PRIMARY)).toBe(1);
    expect(results.filter((r) => r.model === PRIMARY)).toHaveLength(1);

    // The probe's success closes the circuit for both: its router at once, the other at its next sync.
    await waitFor(() => a.closed.length === 1 && b.closed.length === 1, { timeoutMs: 1_500, intervalMs: 10 });
    const prober = a.closed[0]!.shared ? b : a;
    const other = prober === a ? b : a;
    expect(prober.closed[0]!.requestId).toBeDefined();
    expect(other.closed[0]!.shared).toBe(true);
    expect((await call(a.router)).model).toBe(PRIMARY);
    expect((await call(b.router)).model).toBe(PRIMARY);
    expect(a.storeErrors).toEqual([]);
    expect(b.storeErrors).toEqual([]);

    // The circuit's key names the credential id, never the API key.
    const keys = await clients[2]!.keys('*{circuit}*');
    expect(keys).toEqual([circuitKey('routeplane:', `${PRIMARY}\u0000openai\u0000acme-openai`)]);
    expect(keys[0]).toContain('acme-openai');
    for (const key of keys) {
      expect(key).not.toContain(API_KEY);
      expect(JSON.stringify(await clients[2]!.hgetall(key))).not.toContain(API_KEY);
    }
  });

  it('a healthy deployment costs no Redis write: successes are counted locally', async () => {
    const a = instance(clients[0]!);
    for (let i = 0; i < 20; i++) expect((await call(a.router)).model).toBe(PRIMARY);
    expect(await clients[2]!.keys('*{circuit}*')).toEqual([]);
    expect(emu.hits(PRIMARY)).toBe(20);
  });

  it('while Redis is down, the local breaker takes over and no call fails', async () => {
    const a = instance(clients[0]!);
    expect((await call(a.router)).model).toBe(PRIMARY);
    await server.stop();
    try {
      emu.failRandomly(PRIMARY, { rate: 1, faults: [{ status: 500 }] });
      for (let i = 0; i < 5; i++) expect((await call(a.router)).model).toBe(FALLBACK);
      // Three failures opened the local circuit: the last two calls skipped the primary.
      expect(emu.hits(PRIMARY)).toBe(4);
      expect(a.opened).toEqual([expect.objectContaining({ model: PRIMARY, reason: 'consecutive_failures' })]);
      expect(a.opened[0]!.shared).toBeUndefined();
      expect(a.storeErrors.length).toBeGreaterThan(0);
      expect(a.storeErrors.every((e) => e.failOpen)).toBe(true);
    } finally {
      await server.start();
      await waitFor(() => clients.every((c) => c.status === 'ready'), { timeoutMs: 5_000, intervalMs: 20 });
    }
  });
});

describe.skipIf(!hasRedisServer)(
  'the shared circuit scripts (window and thresholds on the Redis clock)',
  () => {
    const options: SharedCircuitOptions = {
      consecutiveFailures: 3,
      errorRate: 0.5,
      minSamples: 6,
      cooldownMs: 300,
      windowMs: 60_000,
    };
    const store = () => createRedisCircuits(clients[0]!, 't:', (send) => send());
    const fail = { successes: 0, failure: 'server_error' };

    it('opens after consecutive failures across reports; a success in between resets the count', async () => {
      const c = store();
      expect(await c.record('d', fail, options)).toMatchObject({
        state: 'closed',
        failing: true,
        changed: false,
      });
      await c.record('d', fail, options);
      await c.record('d', { successes: 1 }, options);
      await c.record('d', fail, options);
      expect((await c.record('d', fail, options)).state).toBe('closed');
      const opened = await c.record('d', fail, options);
      expect(opened).toMatchObject({
        state: 'open',
        reason: 'consecutive_failures',
        errorCode: 'server_error',
        changed: true,
        failing: true,
      });
      expect(opened.retryInMs).toBeGreaterThan(250);
      expect(opened.retryInMs).toBeLessThanOrEqual(300);
      // A late failure while open changes nothing.
      expect(await c.record('d', fail, options)).toMatchObject({
        state: 'open',
        openedAt: opened.openedAt,
        changed: false,
      });
    });

    it('opens at errorRate over the window once it holds minSamples attempts, not before', async () => {
      const c = store();
      const rate = { ...options, consecutiveFailures: 100 };
      await c.record('d', { successes: 2, failure: 'timeout' }, rate); // 1 of 3
      expect((await c.record('d', { successes: 1, failure: 'timeout' }, rate)).state).toBe('closed'); // 2 of 5
      const opened = await c.record('d', { successes: 0, failure: 'timeout' }, rate); // 3 of 6
      expect(opened).toMatchObject({ state: 'open', reason: 'error_rate', errorCode: 'timeout' });
      const c2 = store();
      await c2.record('e', { successes: 4, failure: 'timeout' }, rate); // 1 of 5
      expect((await c2.record('e', { successes: 1, failure: 'timeout' }, rate)).state).toBe('closed'); // 2 of 7
    });

    it('forgets failures older than the window (and the consecutive count with them)', async () => {
      const c = store();
      const short = { ...options, windowMs: 150 };
      await c.record('d', fail, short);
      await c.record('d', fail, short);
      expect((await c.read(['d'], short.windowMs))[0]).toMatchObject({ failing: true });
      await sleep(320); // two windows
      expect((await c.read(['d'], short.windowMs))[0]).toMatchObject({ state: 'closed', failing: false });
      expect((await c.record('d', fail, short)).state).toBe('closed');
      expect((await c.read(['d', 'unknown'], short.windowMs))[1]).toEqual({
        state: 'closed',
        retryInMs: 0,
        failing: false,
        openedAt: 0,
      });
    });

    it('after the cooldown one store takes the probe; its failure re-opens, its success closes for all', async () => {
      const [one, two] = [store(), store()];
      for (let i = 0; i < 3; i++) await one.record('d', fail, options);
      expect(await two.acquireProbe('d', 5_000)).toBe('refused'); // cooling down
      await sleep(options.cooldownMs + 20);
      expect((await two.read(['d'], options.windowMs))[0]).toMatchObject({ state: 'open', retryInMs: 0 });
      const [first, second] = await Promise.all([one.acquireProbe('d', 5_000), two.acquireProbe('d', 5_000)]);
      expect([first, second].sort()).toEqual(['probe', 'refused']);
      const [holder, other] = first === 'probe' ? [one, two] : [two, one];
      expect((await other.read(['d'], options.windowMs))[0]!.state).toBe('half-open');
      // Another store's release or "probe" verdict does not touch the holder's probe.
      await other.releaseProbe('d');
      expect((await other.record('d', { successes: 1, probe: true }, options)).state).toBe('half-open');

      const reopened = await holder.record(
        'd',
        { successes: 0, failure: 'overloaded', probe: true },
        options,
      );
      expect(reopened).toMatchObject({
        state: 'open',
        reason: 'probe_failed',
        errorCode: 'overloaded',
        changed: true,
      });
      await sleep(options.cooldownMs + 20);
      expect(await other.acquireProbe('d', 5_000)).toBe('probe');
      expect(await other.record('d', { successes: 1, probe: true }, options)).toMatchObject({
        state: 'closed',
        failing: false,
        changed: true,
      });
      expect(await holder.acquireProbe('d', 5_000)).toBe('closed');
    });

    it('a probe whose holder released it (or whose lease ran out) can be taken again', async () => {
      const [one, two] = [store(), store()];
      const instant = { ...options, cooldownMs: 0 };
      for (let i = 0; i < 3; i++) await one.record('d', fail, instant);
      expect(await one.acquireProbe('d', 100)).toBe('probe');
      await one.releaseProbe('d');
      expect(await two.acquireProbe('d', 100)).toBe('probe');
      expect(await one.acquireProbe('d', 100)).toBe('refused');
      await sleep(120);
      expect(await one.acquireProbe('d', 100)).toBe('probe');
    });
  },
);
