import type { Redis } from 'ioredis';
import { type ChatRequest, createRouter, RouterError } from 'routeplane';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStoreOptions } from '../../src/redis/index.js';
import { collect, sleep, textOf, useEmulator, waitFor } from '../support/harness.js';
import { hasRedisServer, type RedisServer, startRedisServer } from './setup.js';

const models = [
  {
    id: 'm',
    provider: 'openai',
    model: 'm-up',
    quality: 0.9,
    pricing: { inputPerMTok: 1, outputPerMTok: 10 },
  },
  {
    id: 'n',
    provider: 'mistral',
    model: 'n-up',
    quality: 0.5,
    pricing: { inputPerMTok: 1, outputPerMTok: 10 },
  },
];
type Tenants = Parameters<typeof createRouter>[0]['tenants'];
const cached = (ttlMs = 60_000) => ({ model: 'm', cache: { ttlMs } });
const TENANTS: Tenants = { a: cached(), b: cached(), 'a}:x': cached() };

const emu = useEmulator();
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
  let n = 0;
  emu.respond('*', () => ({ text: `answer number ${++n}` }));
});

/** A router on Redis client `i` (0 and 1 are the two instances; 2 inspects Redis). */
function instance(i: number, tenants: Tenants = TENANTS, store: RedisStoreOptions = {}) {
  const router = createRouter({
    providers: emu.providers,
    models,
    tenants,
    store: createRedisStore(clients[i]!, store),
  });
  return { router, hits: collect(router, 'cache.hit'), storeErrors: collect(router, 'store.error') };
}

const ask = (tenant: string, content = 'hello there'): ChatRequest => ({
  tenant,
  messages: [{ role: 'user', content }],
});

const entryKeys = (tenant: string) => clients[2]!.keys(`routeplane:cache:{${encodeURIComponent(tenant)}}:*`);

/** Waits until the shared cache holds `count` entries of `tenant` (the write is not awaited by the call). */
const shared = (tenant: string, count = 1) =>
  waitFor(async () => (await entryKeys(tenant)).length === count, {
    intervalMs: 5,
    what: `${count} shared entries of '${tenant}'`,
  });

describe.skipIf(!hasRedisServer)('shared answer cache on Redis', () => {
  it("an answer made on one instance answers the same tenant's same call on another", async () => {
    const [a, b] = [instance(0), instance(1)];
    const first = await a.router.complete(ask('a'));
    expect(first.cached).toBe(false);
    await shared('a');

    const second = await b.router.complete(ask('a'));
    expect(second).toMatchObject({ cached: true, costUsd: 0, text: first.text, model: 'm' });
    expect(emu.hits()).toBe(1);
    expect(b.hits).toHaveLength(1);
    // Kept in B's memory too: served with Redis empty.
    await clients[2]!.flushall();
    expect((await b.router.complete(ask('a'))).cached).toBe(true);
    expect(emu.hits()).toBe(1);
  });

  it('is shared whatever order the instances resolved their tenants in', async () => {
    const [a, b] = [instance(0), instance(1)];
    await b.router.complete(ask('b', 'warm up b first'));
    await a.router.complete(ask('a'));
    await shared('a');
    expect((await b.router.complete(ask('a'))).cached).toBe(true);
    expect(emu.hits()).toBe(2);
  });

  it('never serves one tenant the answer of another, whatever characters its id holds', async () => {
    const [a, b] = [instance(0), instance(1)];
    await a.router.complete(ask('a'));
    await shared('a');
    for (const tenant of ['b', 'a}:x']) {
      const result = await b.router.complete(ask(tenant));
      expect(result.cached).toBe(false);
    }
    expect(emu.hits()).toBe(3);
    // The tenant id is encoded: its key's hash tag is the whole id, and no brace or colon of it leaks.
    await shared('a}:x');
    expect(await entryKeys('a}:x')).toEqual([
      expect.stringMatching(/^routeplane:cache:\{a%7D%3Ax\}:[\w-]{43}$/),
    ]);
  });

  it("the store's entries are per tenant: a tenant whose id ends like another's key cannot read it", async () => {
    const answers = createRedisStore(clients[0]!).answers!;
    await answers.set('a', 'x}:k', '{"v":1}', 60_000);
    expect(await answers.get('a', 'x}:k')).toMatchObject({ value: '{"v":1}' });
    expect(await answers.get('a}:x', 'k')).toBeUndefined();
    expect(await answers.get('a}', ':x}:k')).toBeUndefined();
  });

  it("expires with the tenant's ttl, and an instance keeps its copy of a shared hit no longer than it had left", async () => {
    const tenants = { a: cached(300) };
    const [a, b] = [instance(0, tenants), instance(1, tenants)];
    await a.router.complete(ask('a'));
    await shared('a');
    const pttl = await clients[2]!.pttl((await entryKeys('a'))[0]!);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300);
    await sleep(150);
    expect((await b.router.complete(ask('a'))).cached).toBe(true);
    await sleep(200);
    // Expired in Redis, and B's own copy with it (not 300 ms after B read it).
    expect((await b.router.complete(ask('a'))).cached).toBe(false);
    expect(emu.hits()).toBe(2);
  });

  it("bounds each tenant's entries, evicting its oldest, and leaves other tenants' alone", async () => {
    const options = { cache: { maxEntriesPerTenant: 3 } };
    const [a, b] = [instance(0, TENANTS, options), instance(1, TENANTS, options)];
    await a.router.complete(ask('b', 'b1'));
    await a.router.complete(ask('b', 'b2'));
    for (let i = 1; i <= 5; i++) await a.router.complete(ask('a', `a${i}`));
    await shared('a', 3);
    expect(await clients[2]!.zcard('routeplane:cache:{a}')).toBe(3);
    expect(await entryKeys('b')).toHaveLength(2);

    const servedOnB = async (tenant: string, content: string) =>
      (await b.router.complete(ask(tenant, content))).cached;
    expect(await Promise.all(['a3', 'a4', 'a5', 'a1', 'a2'].map((p) => servedOnB('a', p)))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(await servedOnB('b', 'b1')).toBe(true);
    expect(await servedOnB('b', 'b2')).toBe(true);
  });

  it('does not share an answer larger than maxEntryBytes (the instance that made it still caches it)', async () => {
    const options = { cache: { maxEntryBytes: 100 } };
    emu.respond('*', { text: 'long '.repeat(50) });
    const [a, b] = [instance(0, TENANTS, options), instance(1, TENANTS, options)];
    await a.router.complete(ask('a'));
    await sleep(50);
    expect(await entryKeys('a')).toEqual([]);
    expect((await a.router.complete(ask('a'))).cached).toBe(true);
    expect((await b.router.complete(ask('a'))).cached).toBe(false);
  });

  it('reads a value that is not a cached answer as a miss', async () => {
    const a = instance(0);
    await a.router.complete(ask('a'));
    await shared('a');
    const [key] = await entryKeys('a');
    const valid = JSON.parse((await clients[2]!.get(key!))!) as Record<string, unknown>;
    const garbage = [
      'not json',
      '[]',
      'null',
      JSON.stringify({ ...valid, content: 42 }),
      JSON.stringify({ ...valid, usage: { inputTokens: 'x' } }),
      JSON.stringify({ ...valid, finishReason: 'length' }),
      JSON.stringify({ ...valid, toolCalls: [{ id: 1 }] }),
      JSON.stringify({ ...valid, model: 'no-such-model' }),
    ];
    for (const value of garbage) {
      await clients[2]!.set(key!, value, 'PX', 60_000);
      const b = instance(1);
      const result = await b.router.complete(ask('a'));
      expect(result.cached, value).toBe(false);
      expect(result.text).toMatch(/^answer number/);
    }
  });

  it("serves a stream from another instance's answer", async () => {
    const [a, b] = [instance(0), instance(1)];
    const first = await a.router.complete(ask('a', 'tell me a long story please'));
    await shared('a');
    const stream = b.router.stream(ask('a', 'tell me a long story please'));
    const parts = [];
    for await (const part of stream) parts.push(part);
    expect(textOf(parts)).toBe(first.text);
    expect(parts.filter((p) => p.type === 'text').length).toBeGreaterThan(1);
    expect(await stream.result).toMatchObject({ cached: true, costUsd: 0 });
    expect(emu.hits()).toBe(1);
  });

  it("serves another instance's answer only with a model this call may still use there", async () => {
    // Same policy on both (so the same key), but B's catalog, mid-rollout, has m in another region.
    const policy = { allowedModels: ['m', 'n'], allowedRegions: ['eu'], cache: { ttlMs: 60_000 } };
    const inRegions = (mRegion: string) =>
      createRouter({
        providers: emu.providers,
        models: [
          { ...models[0]!, region: mRegion },
          { ...models[1]!, region: 'eu' },
        ],
        tenants: { a: policy },
        store: createRedisStore(clients[mRegion === 'eu' ? 0 : 1]!),
      });
    const first = await inRegions('eu').complete(ask('a'));
    expect(first.model).toBe('m');
    await shared('a');
    const result = await inRegions('us').complete(ask('a'));
    expect(result).toMatchObject({ cached: false, model: 'n' });
    expect(emu.hits()).toBe(2);
  });

  it('refuses invalid cache options, naming the field', () => {
    for (const cache of [{ maxEntriesPerTenant: 0 }, { maxEntryBytes: 1.5 }, null]) {
      expect(() => createRedisStore(clients[0]!, { cache } as RedisStoreOptions)).toThrow(RouterError);
    }
    expect(() => createRedisStore(clients[0]!, { cache: { maxEntriesPerTenant: -1 } })).toThrow(
      /cache\.maxEntriesPerTenant must be a positive integer/,
    );
    expect(createRedisStore(clients[0]!, { cache: false }).answers).toBeUndefined();
  });

  it('with Redis stopped, calls are answered as misses and the failure is a store.error', async () => {
    const a = instance(0);
    await a.router.complete(ask('a', 'cached before the outage'));
    await shared('a');
    // Fail-open: budgets (usage is counted even without one) go on in memory; the cache is always fail-open.
    const b = instance(1, TENANTS, { onError: 'fail-open' });
    await server.stop();
    try {
      const results = await Promise.all([
        b.router.complete(ask('a', 'cached before the outage')),
        b.router.complete(ask('b', 'new')),
      ]);
      expect(results.map((r) => r.cached)).toEqual([false, false]);
      expect(results.every((r) => r.text.startsWith('answer number'))).toBe(true);
      expect(b.storeErrors.length).toBeGreaterThan(0);
      expect(b.storeErrors.every((e) => e.failOpen)).toBe(true);
      expect(b.storeErrors.some((e) => e.message.startsWith('shared answer cache: get'))).toBe(true);
      // B's own memory still answers.
      expect((await b.router.complete(ask('b', 'new'))).cached).toBe(true);
    } finally {
      await server.start();
      await waitFor(() => clients.every((c) => c.status === 'ready'), { what: 'clients reconnected' });
    }
  });
});
