/**
 * Many router processes on one Redis (issue 17): scenarios that hold on the code as it is.
 * See harness.ts for how to run one and what it prints; the scenarios that need
 * reservation leases and the Redis server's clock are in leases.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ModelSpec, TenantPolicy } from '../../src/index.js';
import { toNano } from '../../src/store/types.js';
import {
  countOutcomes,
  eventually,
  hasRedisServer,
  nanoOf,
  providersOf,
  report,
  scriptsRun,
  until,
  useMultiprocess,
} from './harness.js';

const meter = { inputPerMTok: 1, outputPerMTok: 10 };
const models: ModelSpec[] = [
  { id: 'meter', provider: 'openai', model: 'meter-up', quality: 0.7, pricing: meter },
];
const usage = { inputTokens: 10, outputTokens: 80 };
/** What one call costs, in nano-USD, with the emulator's scripted usage. */
const CALL_NANO =
  usage.inputTokens * meter.inputPerMTok * 1_000 + usage.outputTokens * meter.outputPerMTok * 1_000;
const request = {
  tenant: 'acme',
  maxTokens: 100,
  messages: [{ role: 'user' as const, content: 'x' }],
};
const WORKERS = 4;

const mp = useMultiprocess();

describe.skipIf(!hasRedisServer)('many router processes on one Redis', () => {
  it('A: 4 processes × 1,000 calls at one budget: spent ≤ limit, nothing left reserved, Redis spend equals the audit to the nano-USD', async () => {
    const redis = await mp.redis();
    const emu = await mp.emulator();
    emu.respond('meter-up', { text: 'ok', usage });
    // Room for 2,000 calls at their actual cost: about half of the 4,000.
    const limitNano = 2_000 * CALL_NANO;
    const tenants: Record<string, TenantPolicy> = {
      acme: { model: 'meter', budget: { limitUsd: limitNano / 1e9, period: 'total' } },
    };
    const workers = await mp.workers(WORKERS, redis, { providers: providersOf(emu), models, tenants });

    // 25 calls in flight per process, 100 across the fleet.
    const started = performance.now();
    const runs = Promise.all(workers.map((w) => w.run({ calls: 1_000, concurrency: 25, request })));
    const finished = await eventually(() => workers.every((w) => w.results.length === 1_000), 40_000, 100);
    const seconds = (performance.now() - started) / 1_000;

    const results = workers.flatMap((w) => w.results);
    const audits = workers.flatMap((w) => w.audits);
    const outcomes = countOutcomes(results);
    const spent = await workers[0]!.usage('acme');
    report('A: 4 × 1,000 calls, one tenant budget of 2,000 calls', workers, {
      'limit nUSD': limitNano,
      'spent nUSD': toNano(spent.spentUsd),
      'reserved nUSD': toNano(spent.reservedUsd),
      'settled requests': spent.requests,
      'provider hits': emu.hits('meter-up'),
      'Redis scripts per call': ((await scriptsRun(redis)) / results.length).toFixed(2),
      seconds: finished
        ? seconds.toFixed(1)
        : `${results.length} of 4,000 calls ended in ${seconds.toFixed(0)}`,
    });
    expect(finished).toBe(true);
    await runs;

    expect(results).toHaveLength(4_000);
    expect(Object.keys(outcomes).sort()).toEqual(['budget_exceeded', 'ok']);
    expect(outcomes.ok! + outcomes.budget_exceeded!).toBe(4_000);
    expect(toNano(spent.spentUsd)).toBeLessThanOrEqual(limitNano);
    expect(spent.reservedUsd).toBe(0);
    // Exact: the store's integer nano-USD against the audit records' costs.
    expect(audits).toHaveLength(4_000);
    expect(toNano(spent.spentUsd)).toBe(nanoOf(audits));
    expect(spent.requests).toBe(outcomes.ok);
    expect(emu.hits('meter-up')).toBe(outcomes.ok);
    // A hard cap a burst can still use nearly to the end: denied only when even an empty
    // pipeline could not fit the next reservation (about 1.25 calls at actual cost).
    expect(outcomes.ok).toBeGreaterThanOrEqual(1_998);
    // Every process served part of it: the budget is shared, not per process.
    for (const w of workers) expect(countOutcomes(w.results).ok ?? 0).toBeGreaterThan(0);
  }, 60_000);

  it('D: Redis SIGKILLed while calls are at the provider: every paid answer is returned, audited unsettled, and settled once Redis is back', async () => {
    // The data must survive the kill, or there is nothing honest to compare: the spend
    // settled before it and the reservations the unsettled calls hold. An append-only file
    // written before each reply keeps both; the journal's retries then land on them.
    const redis = await mp.redis({ persist: true });
    const emu = await mp.emulator();
    emu.respond('meter-up', { text: 'answered', usage });
    const tenants: Record<string, TenantPolicy> = {
      acme: { model: 'meter', budget: { limitUsd: 100, period: 'total' } },
    };
    const workers = await mp.workers(WORKERS, redis, {
      providers: providersOf(emu),
      models,
      tenants,
      settleRetry: { retries: 30, minDelayMs: 100, maxDelayMs: 400 },
    });

    // Before: settled as usual.
    await Promise.all(workers.map((w) => w.run({ calls: 25, request })));
    const before = await workers[0]!.usage('acme');
    expect(before.requests).toBe(100);

    // During: 100 more calls reach the provider, which holds each answer 1 s; Redis dies.
    emu.fail('meter-up', ...Array.from({ length: 100 }, () => ({ hangMs: 1_000 })));
    const during = workers.map((w) => w.run({ calls: 25, request }));
    await until(() => emu.hits('meter-up') === 200, 'the 100 calls at the provider');
    const killedAt = performance.now();
    await redis.kill();
    // The premise: Redis died before the provider answered any of them.
    expect(emu.requests.slice(100).filter((r) => r.answered)).toEqual([]);
    const answered = (await Promise.all(during)).flat();
    const answeredMs = performance.now() - killedAt;

    expect(answered.every((r) => r.ok && r.text === 'answered')).toBe(true);
    const audits = workers.flatMap((w) => w.audits);
    const unsettled = audits.filter((a) => a.settled === false);
    expect(unsettled).toHaveLength(100);
    for (const record of unsettled) {
      expect(record.outcome).toBe('success');
      expect(toNano(record.costUsd)).toBe(CALL_NANO);
    }
    const unsettledEvents = new Set(
      workers.flatMap((w) => w.storeErrors.filter((e) => e.unsettled).map((e) => e.requestId)),
    );
    expect(unsettledEvents).toEqual(new Set(unsettled.map((a) => a.requestId)));

    // After: Redis back with its data; each worker's journal settles what it holds.
    await redis.start();
    const restartedAt = performance.now();
    await until(
      async () => (await workers[0]!.usage('acme').catch(() => undefined))?.requests === 200,
      'the journal to settle the 100 calls',
    );
    const caughtUpMs = performance.now() - restartedAt;
    const after = await workers[0]!.usage('acme');
    report(
      'D: Redis SIGKILL with 100 answers held 1 s at the provider, restart with its append-only file',
      workers,
      {
        'spent before nUSD': toNano(before.spentUsd),
        'spent after nUSD': toNano(after.spentUsd),
        'reserved after': toNano(after.reservedUsd),
        'answers after kill ms': Math.round(answeredMs),
        'journal caught up ms': Math.round(caughtUpMs),
      },
    );

    expect(audits).toHaveLength(200);
    expect(toNano(after.spentUsd)).toBe(nanoOf(audits));
    expect(toNano(after.spentUsd)).toBe(200 * CALL_NANO);
    // The reservations held across the kill were released by the settles, once each.
    expect(after.reservedUsd).toBe(0);
    expect(after.inputTokens).toBe(200 * usage.inputTokens);
    // Closing drains nothing more: every settlement has landed.
    await Promise.all(workers.map((w) => w.close()));
    expect(workers.flatMap((w) => w.storeErrors).filter((e) => e.unsettled?.gaveUp)).toEqual([]);
  }, 60_000);
});
