/**
 * Many router processes on one Redis (issue 17): the scenarios that need reservation
 * leases and the Redis server's clock (ARCHITECTURE.md, "Many instances"). The lease time
 * is the workers' router option `leaseMs`.
 */
import { describe, expect, it } from 'vitest';
import type { ModelSpec, TenantPolicy } from '../../src/index.js';
import { toNano } from '../../src/store/types.js';
import {
  type CallResult,
  countOutcomes,
  eventually,
  hasRedisServer,
  nanoOf,
  providersOf,
  report,
  until,
  useMultiprocess,
  within,
} from './harness.js';

const meter = { inputPerMTok: 1, outputPerMTok: 10 };
/** A model whose output may be long enough for one call to take all that is left of a budget. */
const models: ModelSpec[] = [
  {
    id: 'meter',
    provider: 'openai',
    model: 'meter-up',
    quality: 0.7,
    pricing: meter,
    contextWindow: 10_000_000,
    maxOutputTokens: 5_000_000,
  },
];
const usage = { inputTokens: 10, outputTokens: 80 };
const CALL_NANO =
  usage.inputTokens * meter.inputPerMTok * 1_000 + usage.outputTokens * meter.outputPerMTok * 1_000;
/** nano-USD per output token reserved. */
const OUTPUT_NANO = meter.outputPerMTok * 1_000;
const request = { tenant: 'acme', maxTokens: 100, messages: [{ role: 'user' as const, content: 'x' }] };
const WORKERS = 4;
/** A reservation's lease in these tests: short, so an expiry is seen within a test. */
const LEASE_MS = 2_000;
/** Scenario E's lease: see there. */
const E_LEASE_MS = 4_000;

const mp = useMultiprocess();

describe.runIf(hasRedisServer)('many router processes on one Redis: leases and the server clock', () => {
  it('B: 40 requests per minute across 4 processes whose clocks are 10 s apart: exactly 40 succeed', async () => {
    const redis = await mp.redis();
    const emu = await mp.emulator();
    emu.respond('meter-up', { text: 'ok', usage });
    const tenants: Record<string, TenantPolicy> = {
      acme: { model: 'meter', rateLimit: { requestsPerMinute: 40 } },
    };
    // -15 s, -5 s, +5 s, +15 s: each host 10 s from the next.
    const offsets = [-15_000, -5_000, 5_000, 15_000];
    const workers = await mp.workers(WORKERS, redis, (index) => ({
      providers: providersOf(emu),
      models,
      tenants,
      clockOffsetMs: offsets[index]!,
    }));

    const started = performance.now();
    await Promise.all(workers.map((w) => w.run({ calls: 50, request })));
    const burstMs = performance.now() - started;
    const outcomes = countOutcomes(workers.flatMap((w) => w.results));
    report('B: 40 rpm, 4 × 50 calls at once, clocks at -15/-5/+5/+15 s', workers, {
      'burst ms': Math.round(burstMs),
      'provider hits': emu.hits('meter-up'),
    });

    // A burst shorter than one request's interval (1.5 s) sees no refill: exactly 40. On a
    // machine slow enough to stretch it, each 1.5 s of it may let one more through, never
    // the skew's extra (clocks 30 s apart would give 20 more).
    const refills = burstMs < 1_500 ? 0 : Math.ceil(burstMs / 1_500);
    const ok = outcomes.ok ?? 0;
    expect(ok).toBeGreaterThanOrEqual(40);
    expect(ok).toBeLessThanOrEqual(40 + refills);
    expect(ok + (outcomes.rate_limited ?? 0)).toBe(200);
    expect(emu.hits('meter-up')).toBe(ok);
  }, 60_000);

  it('C: Redis stopped 1.5 s (SIGSTOP) under load: once calls end and leases expire, nothing is reserved and a call that needs the whole rest of the budget completes', async () => {
    const redis = await mp.redis();
    const emu = await mp.emulator({ latencyMs: 50 });
    emu.respond('meter-up', { text: 'ok', usage });
    const limitNano = 10_000 * CALL_NANO;
    const tenants: Record<string, TenantPolicy> = {
      acme: { model: 'meter', budget: { limitUsd: limitNano / 1e9, period: 'total' } },
    };
    const workers = await mp.workers(WORKERS, redis, {
      providers: providersOf(emu),
      models,
      tenants,
      leaseMs: LEASE_MS,
      settleRetry: { retries: 30, minDelayMs: 100, maxDelayMs: 400 },
      // Short, so that within the stall calls give up on settles and then on reserves,
      // whose scripts Redis runs late, after the store gave up.
      storeTimeoutMs: 250,
    });

    // 8 calls at a time per process for 3 s; Redis stops from 0.5 s to 2 s.
    const runs = workers.map((w) => w.run({ calls: 100_000, concurrency: 8, durationMs: 3_000, request }));
    await new Promise((r) => setTimeout(r, 500));
    redis.pause();
    await new Promise((r) => setTimeout(r, 1_500));
    redis.resume();
    await Promise.all(runs);
    const endedAt = performance.now();

    // At most one lease after the last call ended, nothing is reserved; and the settlements
    // the stall refused have landed, each once.
    const audits = () => workers.flatMap((w) => w.audits);
    // Every answered call's audit record has arrived (over IPC, after its answer).
    const answered = workers.flatMap((w) => w.results).filter((r) => r.ok).length;
    const released = await eventually(async () => {
      const now = await workers[0]!.usage('acme');
      const records = audits().filter((r) => r.outcome === 'success');
      return (
        records.length === answered && now.reservedUsd === 0 && toNano(now.spentUsd) === nanoOf(audits())
      );
    }, LEASE_MS + 3_000);
    const releasedMs = performance.now() - endedAt;
    const after = await workers[0]!.usage('acme');
    const auditedNano = nanoOf(audits());

    // A call with no deadline whose reservation fits only when nothing else is reserved:
    // 50 output tokens below what is left (one leaked reservation is a whole call's 100).
    const left = limitNano - toNano(after.spentUsd);
    const maxTokens = Math.floor((left - 50 * OUTPUT_NANO) / OUTPUT_NANO);
    let last: CallResult | Error;
    try {
      [last] = (await within(
        workers[1]!.run({ calls: 1, request: { ...request, maxTokens } }),
        LEASE_MS + 5_000,
        'the call that needs the whole rest of the budget',
      )) as [CallResult];
    } catch (error) {
      last = error as Error;
    }
    const outcomes = countOutcomes(workers.flatMap((w) => w.results));
    report('C: SIGSTOP of Redis for 1.5 s, 4 × 8 calls in flight', workers, {
      'spent nUSD': toNano(after.spentUsd),
      'audit nUSD': auditedNano,
      'reserved nUSD': toNano(after.reservedUsd),
      'released after ms': released ? Math.round(releasedMs) : `not within ${LEASE_MS + 3_000}`,
      'last call': 'ok' in last ? (last.ok ? `ok in ${Math.round(last.ms)} ms` : last.code) : last.message,
    });

    expect(Object.keys(outcomes).every((code) => code === 'ok' || code === 'store_unavailable')).toBe(true);
    expect(outcomes.store_unavailable).toBeGreaterThan(0);
    expect(after.reservedUsd).toBe(0);
    expect(toNano(after.spentUsd)).toBe(auditedNano);
    expect(last).toMatchObject({ ok: true });
  }, 60_000);

  it('E: a process SIGKILLed with its calls at the provider leaves nothing reserved once its leases expire', async () => {
    const redis = await mp.redis();
    const emu = await mp.emulator({ latencyMs: 1_000 });
    emu.respond('meter-up', { text: 'ok', usage });
    const tenants: Record<string, TenantPolicy> = {
      acme: { model: 'meter', budget: { limitUsd: 100, period: 'total' } },
    };
    const workers = await mp.workers(WORKERS, redis, {
      providers: providersOf(emu),
      models,
      tenants,
      // Long enough that the survivors' calls (1 s at the provider) end within it on a busy
      // machine, short enough to watch it run out.
      leaseMs: E_LEASE_MS,
    });
    const victim = workers[WORKERS - 1]!;
    const survivors = workers.slice(0, -1);

    const runs = survivors.map((w) => w.run({ calls: 20, request }));
    victim.run({ calls: 20, request }).catch(() => {});
    await until(() => emu.hits('meter-up') === 80, 'the 80 calls at the provider');
    await victim.kill();
    const killedAt = performance.now();
    await Promise.all(runs);

    // The victim's 20 reservations are still held (its leases have not run out yet)…
    const held = await survivors[0]!.usage('acme');
    // …and are gone within a lease.
    const expired = await eventually(
      async () => (await survivors[0]!.usage('acme')).reservedUsd === 0,
      E_LEASE_MS + 3_000,
    );
    const expiredMs = performance.now() - killedAt;
    const after = await survivors[0]!.usage('acme');
    report('E: 1 of 4 processes SIGKILLed with 20 calls at the provider', workers, {
      'reserved at survivors’ end nUSD': toNano(held.reservedUsd),
      'reserved after nUSD': toNano(after.reservedUsd),
      'spent nUSD': toNano(after.spentUsd),
      'expired after kill ms': expired ? Math.round(expiredMs) : `not within ${E_LEASE_MS + 3_000}`,
      'provider saw closed': emu.requests.filter((r) => r.clientClosed).length,
    });

    // The kill was mid-call: the provider saw the victim's 20 requests go away unanswered.
    expect(emu.requests.filter((r) => r.clientClosed)).toHaveLength(20);
    expect(victim.audits).toEqual([]);
    expect(held.reservedUsd).toBeGreaterThan(0);
    expect(after.reservedUsd).toBe(0);
    // The survivors' spend, exactly; the dead process's calls cost the tenant nothing.
    expect(toNano(after.spentUsd)).toBe(nanoOf(survivors.flatMap((w) => w.audits)));
    expect(after.requests).toBe(60);
  }, 60_000);
});
