import type { Redis } from 'ioredis';
import { createRouter, RouterError } from 'routeplane';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/redis/index.js';
import { toNano } from '../../src/store/types.js';
import { collect, drain, textOf, useEmulator, waitFor } from '../support/harness.js';
import { hasRedisServer, type RedisServer, startRedisServer } from './setup.js';

const ask = [{ role: 'user' as const, content: 'x' }];
const MAX_TOKENS = 100;
const meter = { inputPerMTok: 1, outputPerMTok: 10 };
const models = [{ id: 'meter', provider: 'openai', model: 'meter-up', quality: 0.7, pricing: meter }];
const INSTANCES = 4;

const emu = useEmulator();
let server: RedisServer;
let clients: Redis[];
beforeAll(async () => {
  if (!hasRedisServer) return;
  server = await startRedisServer();
  clients = await Promise.all(Array.from({ length: INSTANCES }, () => server.client()));
});
afterAll(() => server?.close());
beforeEach(async () => {
  if (!hasRedisServer) return;
  await clients[0]!.flushall();
});

type Tenants = Parameters<typeof createRouter>[0]['tenants'];

/** One router per client, all on the same Redis, each recording its audit records and store errors. */
function instances(tenants: Tenants, onError: 'fail-closed' | 'fail-open' = 'fail-closed') {
  return clients.map((redis) => {
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants,
      store: createRedisStore(redis, { onError }),
    });
    return { router, audits: collect(router, 'audit'), storeErrors: collect(router, 'store.error') };
  });
}

const call = (router: ReturnType<typeof createRouter>, tenant = 'acme') =>
  router.complete({ tenant, maxTokens: MAX_TOKENS, messages: ask });

/** Waits until `check` resolves true; a rejection counts as not yet. */
const eventually = (check: () => Promise<boolean>, timeoutMs = 5_000) =>
  waitFor(() => check().catch(() => false), { timeoutMs, intervalMs: 50 });

describe.skipIf(!hasRedisServer)('many router instances on one Redis', () => {
  it('four instances, 1,000 concurrent calls at one budget: spent ≤ limit, and Redis equals the audit', async () => {
    const inputTokens = 10;
    const outputTokens = 80;
    emu.respond('meter-up', { text: 'ok', usage: { inputTokens, outputTokens } });
    const actual = (inputTokens * meter.inputPerMTok + outputTokens * meter.outputPerMTok) / 1e6;
    const limitUsd = 50 * actual;
    const fleet = instances({ acme: { model: 'meter', budget: { limitUsd, period: 'day' } } });

    const results = await Promise.allSettled(
      Array.from({ length: 1_000 }, (_, i) => call(fleet[i % INSTANCES]!.router)),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failed.every((f) => RouterError.isInstance(f.reason) && f.reason.code === 'budget_exceeded')).toBe(
      true,
    );
    expect(ok).toBeGreaterThanOrEqual(47);
    expect(ok).toBeLessThanOrEqual(50);

    const keys = await clients[0]!.keys('routeplane:budget:{acme}:tenant:*');
    expect(keys).toHaveLength(1);
    const hash = await clients[0]!.hgetall(keys[0]!);
    const spent = Number(hash.spent);
    expect(spent).toBeLessThanOrEqual(toNano(limitUsd));
    expect(Number(hash.reserved)).toBe(0);
    expect(Number(hash.requests)).toBe(ok);
    expect(Number(hash.inputTokens)).toBe(ok * inputTokens);
    expect(Number(hash.outputTokens)).toBe(ok * outputTokens);
    const records = fleet.flatMap((f) => f.audits);
    expect(records).toHaveLength(1_000);
    expect(spent).toBe(records.reduce((sum, r) => sum + toNano(r.costUsd), 0));
    expect(emu.hits('meter-up')).toBe(ok);
    // Every instance sees the shared usage.
    for (const { router } of fleet) expect((await router.usage('acme')).spentUsd).toBeCloseTo(spent / 1e9, 9);
  });

  it('a rate limit holds across the four instances within one request of its limit', async () => {
    emu.respond('meter-up', { text: 'ok', usage: { inputTokens: 1, outputTokens: 1 } });
    const limit = 40;
    const fleet = instances({ acme: { model: 'meter', rateLimit: { requestsPerMinute: limit } } });
    // Started as a service would: every instance ready before traffic, so calls interleave.
    await Promise.all(fleet.map((f) => f.router.ready()));
    const results = await Promise.allSettled(
      Array.from({ length: 400 }, (_, i) => call(fleet[i % INSTANCES]!.router)),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter(
      (r) => r.status === 'rejected' && RouterError.isInstance(r.reason) && r.reason.code === 'rate_limited',
    ).length;
    expect(Math.abs(ok - limit)).toBeLessThanOrEqual(1);
    expect(ok + refused).toBe(400);
    // Each instance served some: the limit is shared, not per instance.
    expect(fleet.filter((f) => f.audits.some((a) => a.outcome === 'success')).length).toBeGreaterThan(1);
  });

  it('Redis stopped after the provider answered: the answer is returned, audited unsettled, and settled when Redis is back', async () => {
    const usage = { inputTokens: 10, outputTokens: 80 };
    emu.respond('meter-up', { text: 'answered', usage });
    // Each call's request reaches the provider, which holds its answer while Redis stops.
    emu.fail('meter-up', { hangMs: 1_000 }, { hangMs: 1_000 });
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: { acme: { model: 'meter', budget: { limitUsd: 100, period: 'total' } } },
      store: createRedisStore(clients[0]!, { onError: 'fail-closed' }),
      settleRetry: { minDelayMs: 100, maxDelayMs: 500 },
    });
    const audits = collect(router, 'audit');
    const storeErrors = collect(router, 'store.error');

    const completed = router.complete({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask });
    const stream = router.stream({ tenant: 'acme', maxTokens: MAX_TOKENS, messages: ask });
    const streamed = drain(stream);
    await waitFor(() => emu.hits('meter-up') === 2, { what: 'both requests at the provider' });
    await server.stop();

    const result = await completed;
    expect(result.text).toBe('answered');
    const { parts, error } = await streamed;
    expect(error).toBeUndefined();
    expect(textOf(parts)).toBe('answered');
    const streamResult = await stream.result;

    expect(audits).toHaveLength(2);
    for (const record of audits) {
      expect(record).toMatchObject({ outcome: 'success', settled: false });
      expect(record.costUsd).toBeCloseTo((10 * meter.inputPerMTok + 80 * meter.outputPerMTok) / 1e6, 12);
    }
    const unsettled = storeErrors.filter((e) => e.unsettled);
    expect(unsettled.map((e) => e.requestId).sort()).toEqual([result.id, streamResult.id].sort());
    for (const e of unsettled) {
      expect(e).toMatchObject({
        tenant: 'acme',
        failOpen: false,
        unsettled: { kind: 'budget', key: 'budget:{acme}:tenant:total', gaveUp: false },
      });
      expect(e.unsettled!.amountUsd).toBeCloseTo(audits[0]!.costUsd, 12);
    }

    // Redis back (empty): the journal settles both calls, once each.
    await server.start();
    const budget = 'routeplane:budget:{acme}:tenant:total';
    await eventually(async () => Number(await clients[1]!.hget(budget, 'requests')) === 2, 10_000);
    const hash = await clients[1]!.hgetall(budget);
    expect(Number(hash.spent)).toBe(audits.reduce((sum, r) => sum + toNano(r.costUsd), 0));
    expect(Number(hash.reserved)).toBe(0);
    expect(Number(hash.inputTokens)).toBe(20);
    expect(Number(hash.outputTokens)).toBe(160);
    await router.close();
  });

  it('Redis stopped mid-run: fail-closed refuses, fail-open goes on locally, nothing crashes, both recover', async () => {
    emu.respond('meter-up', { text: 'ok', usage: { inputTokens: 1, outputTokens: 1 } });
    const tenants: Tenants = {
      acme: {
        model: 'meter',
        budget: { limitUsd: 100, period: 'total' },
        rateLimit: { requestsPerMinute: 10_000 },
      },
    };
    const closed = instances(tenants, 'fail-closed')[0]!;
    const open = instances(tenants, 'fail-open')[1]!;
    const shared = async () =>
      Number(await clients[2]!.hget('routeplane:budget:{acme}:tenant:total', 'requests'));

    await Promise.all([call(closed.router), call(open.router)]);
    expect(await shared()).toBe(2);

    // A run in flight while Redis goes away.
    const inFlight = Array.from({ length: 50 }, (_, i) => call((i % 2 ? open : closed).router));
    await server.stop();
    await Promise.allSettled(inFlight);

    // Fail-closed: refused with a retryable error that says why.
    const refused = await call(closed.router).catch((e: unknown) => e);
    expect(RouterError.isInstance(refused)).toBe(true);
    expect(refused).toMatchObject({ code: 'store_unavailable', retryable: true, retryAfterMs: 1_000 });
    expect((refused as Error).message).toMatch(/^shared store unavailable \(fail-closed\): /);
    expect(closed.storeErrors.length).toBeGreaterThan(0);
    expect(closed.storeErrors.every((e) => e.failOpen === false)).toBe(true);

    // Fail-open: served on local limits.
    const served = await Promise.all(Array.from({ length: 20 }, () => call(open.router)));
    expect(served).toHaveLength(20);
    expect(open.storeErrors.length).toBeGreaterThan(0);
    expect(open.storeErrors.every((e) => e.failOpen === true)).toBe(true);
    // Reported at most once per second per kind of error, not once per call.
    expect(open.storeErrors.length).toBeLessThan(10);
    expect((await open.router.usage('acme')).requests).toBeGreaterThanOrEqual(20);

    // Redis back (empty: no persistence): both go back to it.
    await server.start();
    await eventually(
      async () =>
        await call(closed.router).then(
          () => true,
          () => false,
        ),
    );
    await eventually(async () => {
      const before = (await shared()) || 0;
      await call(open.router);
      return (await shared()) === before + 1;
    });
  });
});
