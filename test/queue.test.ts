import { setMaxListeners } from 'node:events';
import { type AuditRecord, createRouter, type Router, RouterError } from 'routeplane';
import { createEmulator } from 'routeplane/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { collect, rejection, sleep, useEmulator, waitFor } from './support/harness.js';

/** Every answer takes 20 ms: with two slots, a saturated router serves a call every ~10 ms. */
const LATENCY_MS = 20;

const emu = useEmulator({ latencyMs: LATENCY_MS });
beforeAll(async () => {
  // Loads the provider SDK once, so the first test's service times are not the cold start's.
  const warm = queuedRouter();
  await warm.complete({ tenant: 'acme', messages: hello });
  await warm.close();
});

const hello = [{ role: 'user' as const, content: 'Hello there' }];

function queuedRouter(extra: Partial<Parameters<typeof createRouter>[0]> = {}): Router {
  return createRouter({
    providers: emu.providers,
    defaults: { model: 'claude-sonnet-5-5' },
    tenants: { noisy: {}, quiet: {}, heavy: { weight: 3 }, light: { weight: 1 }, acme: {} },
    concurrency: { maxInFlight: 2 },
    ...extra,
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function auditOf(audits: AuditRecord[], requestId: string | undefined): AuditRecord {
  const record = audits.find((a) => a.requestId === requestId);
  if (!record) throw new Error(`no audit record for ${requestId}`);
  return record;
}

describe('weighted fair queuing', () => {
  it('under saturation, a quiet tenant among noisy ones waits no longer than a few service slots', async () => {
    const router = queuedRouter();
    const audits = collect(router, 'audit');
    const noisy = Array.from({ length: 40 }, () => router.complete({ tenant: 'noisy', messages: hello }));
    await waitFor(() => emu.requests.length === 2);
    await sleep(5); // the other 38 are queued
    const quiet = await router.complete({ tenant: 'quiet', messages: hello });
    await Promise.all(noisy);

    const served = audits.filter((a) => a.tenant === 'noisy');
    expect(served).toHaveLength(40);
    const serviceMs = median(served.map((a) => a.latencyMs - (a.queueWaitMs ?? 0)));
    const quietWait = auditOf(audits, quiet.id).queueWaitMs ?? 0;
    expect(quietWait).toBeLessThanOrEqual(3 * serviceMs);
    // The noisy tenant's own backlog did wait: its last call for many service slots.
    expect(Math.max(...served.map((a) => a.queueWaitMs ?? 0))).toBeGreaterThan(10 * serviceMs);
    // The two calls that found free slots did not wait at all.
    expect(served.filter((a) => a.queueWaitMs === undefined)).toHaveLength(2);
    await router.close();
  });

  it('two tenants with weights 3 and 1 get throughput within 10% of 3:1', async () => {
    const router = queuedRouter();
    const completed = collect(router, 'request.completed');
    const stop = new AbortController();
    setMaxListeners(0, stop.signal); // one listener per call
    const calls: Promise<unknown>[] = [];
    // Both stay backlogged over the first 120 completions (90 heavy, 30 light expected).
    for (let i = 0; i < 150; i++) {
      calls.push(router.complete({ tenant: 'heavy', messages: hello, signal: stop.signal }));
      if (i % 2 === 0) calls.push(router.complete({ tenant: 'light', messages: hello, signal: stop.signal }));
    }
    await waitFor(() => completed.length >= 120, { timeoutMs: 8_000 });
    stop.abort(); // the rest leave the queue
    await Promise.allSettled(calls);
    await sleep(LATENCY_MS * 2); // requests aborted in transit reach the emulator before the next test

    const first = completed.slice(0, 120);
    const heavy = first.filter((e) => e.tenant === 'heavy').length;
    const light = first.filter((e) => e.tenant === 'light').length;
    expect(Math.abs(heavy / light / 3 - 1)).toBeLessThanOrEqual(0.1);
    // The aborted ones never reached a provider.
    expect(emu.requests.length).toBeLessThan(150 + 75);
    await router.close();
  });

  it('an abort or timeout releases its queue slot', async () => {
    const router = queuedRouter();
    const audits = collect(router, 'audit');
    const busy = [
      router.complete({ tenant: 'acme', messages: hello }),
      router.complete({ tenant: 'acme', messages: hello }),
    ];
    await waitFor(() => emu.requests.length === 2);
    const controller = new AbortController();
    const aborted = router.complete({ tenant: 'quiet', messages: hello, signal: controller.signal });
    const timedOut = router.complete({ tenant: 'noisy', messages: hello, timeoutMs: 5 });
    const after = router.complete({ tenant: 'quiet', messages: hello });
    await sleep(2);
    controller.abort();

    const abortError = await rejection(aborted);
    const timeoutError = await rejection(timedOut);
    expect([abortError.code, timeoutError.code]).toEqual(['aborted', 'timeout']);
    // Both left while queued, and their audit records say for how long.
    expect(auditOf(audits, abortError.requestId).queueWaitMs).toBeGreaterThan(0);
    expect(auditOf(audits, timeoutError.requestId).queueWaitMs).toBeGreaterThan(0);
    await Promise.all([...busy, after]);
    // The emulator never saw them; every other call completed.
    expect(emu.requests).toHaveLength(3);

    // Every slot is free again: a burst of maxInFlight calls starts at once.
    const burst = await Promise.all([
      router.complete({ tenant: 'acme', messages: hello }),
      router.complete({ tenant: 'noisy', messages: hello }),
    ]);
    for (const result of burst) expect(auditOf(audits, result.id).queueWaitMs).toBeUndefined();
    await router.close();
  });

  it('refuses a call with rate_limited when its tenant queue holds maxQueuePerTenant', async () => {
    const router = queuedRouter({ concurrency: { maxInFlight: 2, maxQueuePerTenant: 2 } });
    const throttled = collect(router, 'ratelimit.throttled');
    const audits = collect(router, 'audit');
    const burst = () =>
      Array.from({ length: 5 }, () => router.complete({ tenant: 'acme', messages: hello })).map((p) =>
        p.then(
          () => undefined,
          (error: unknown) => error,
        ),
      );

    const outcomes = burst();
    // Another tenant has its own queue.
    const other = router.complete({ tenant: 'quiet', messages: hello });
    // explain() does not queue.
    await expect(router.explain({ tenant: 'acme', messages: hello })).resolves.toMatchObject({
      chosen: 'claude-sonnet-5-5',
    });
    const errors = (await Promise.all(outcomes)).filter((e) => e !== undefined);
    await other;
    expect(errors).toHaveLength(1);
    const error = errors[0] as RouterError;
    expect(RouterError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'rate_limited', retryable: true, tenant: 'acme' });
    expect(error.message).toContain('maxQueuePerTenant');
    expect(error.retryAfterMs).toBeUndefined(); // no call had finished: no service time known
    expect(throttled).toEqual([
      expect.objectContaining({ tenant: 'acme', limit: 'queue', waited: false, requestId: error.requestId }),
    ]);
    expect(auditOf(audits, error.requestId)).toMatchObject({ outcome: 'denied', errorCode: 'rate_limited' });

    // With service times known, the refusal estimates when to retry.
    const again = (await Promise.all(burst())).filter((e) => e !== undefined) as RouterError[];
    expect(again).toHaveLength(1);
    expect(again[0]!.retryAfterMs).toBeGreaterThan(0);
    await router.close();
  });

  it('holds a stream’s slot until the stream ends or fails', async () => {
    const router = queuedRouter({ concurrency: { maxInFlight: 1 } });
    const audits = collect(router, 'audit');
    emu.respond('*', { text: 'one two three four five six' });

    const stream = router.stream({ tenant: 'acme', messages: hello });
    const waiting = router.complete({ tenant: 'quiet', messages: hello });
    await waitFor(() => emu.requests.length === 1);
    await sleep(5);
    expect(emu.requests).toHaveLength(1); // the complete call waits for the stream's slot
    for await (const _ of stream) {
      // drain
    }
    await stream.result;
    expect(auditOf(audits, (await waiting).id).queueWaitMs).toBeGreaterThan(LATENCY_MS / 2);

    // A stream cut after its first part fails, and its slot goes to the next call.
    emu.fail('*', { cutAfter: 5 }); // message_start, ping, content_block_start, two text deltas
    const cut = router.stream({ tenant: 'acme', messages: hello });
    const next = router.complete({ tenant: 'quiet', messages: hello });
    expect((await rejection(cut.result)).code).toBe('providers_exhausted');
    await next;

    await router.close();
  });

  it('frees a stream’s slot when its consumer closes it early', async () => {
    const slow = await createEmulator({ perTokenMs: 20 });
    const router = createRouter({
      providers: slow.providers,
      tenants: { acme: { model: 'claude-sonnet-5-5' } },
      concurrency: { maxInFlight: 1 },
    });
    const audits = collect(router, 'audit');
    slow.respond('*', { text: Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ') }, { text: 'short' });
    const early = router.stream({ tenant: 'acme', messages: hello });
    for await (const part of early) if (part.type === 'text') break;
    expect((await rejection(early.result)).code).toBe('aborted');
    const last = await router.complete({ tenant: 'acme', messages: hello });
    expect(auditOf(audits, last.id).queueWaitMs).toBeUndefined();
    await Promise.all([router.close(), slow.close()]);
  });
});

describe('noisy neighbours', () => {
  it('fires tenant.noisy for a tenant over its share, once per window', async () => {
    let now = Date.parse('2026-03-02T10:00:00Z');
    const router = queuedRouter({ clock: () => now, noisyNeighbor: { share: 0.5, windowMs: 60_000 } });
    const noisyEvents = collect(router, 'tenant.noisy');
    const round = () =>
      Promise.all([
        ...Array.from({ length: 10 }, () => router.complete({ tenant: 'noisy', messages: hello })),
        router.complete({ tenant: 'quiet', messages: hello }),
      ]);

    await round();
    await round(); // same window: no second event
    const shares = () => noisyEvents.filter((e) => e.reason === 'share');
    expect(shares()).toEqual([expect.objectContaining({ tenant: 'noisy', reason: 'share' })]);
    expect(shares()[0]!.share).toBeGreaterThan(0.5);

    now += 60_000;
    await round();
    expect(shares()).toHaveLength(2);
    expect(noisyEvents.every((e) => e.tenant === 'noisy')).toBe(true);
    await router.close();
  });

  it('fires tenant.noisy for a request rate above rateFactor × its own baseline while another tenant waits, once per window', async () => {
    let now = Date.parse('2026-03-02T10:00:00Z');
    const router = queuedRouter({ clock: () => now, noisyNeighbor: { rateFactor: 3, windowMs: 1_000 } });
    const noisyEvents = collect(router, 'tenant.noisy');
    const call = () => router.complete({ tenant: 'acme', messages: hello });
    // Three windows of 2 calls: a baseline of 120 per minute.
    for (let w = 0; w < 3; w++, now += 1_000) for (let i = 0; i < 2; i++) await call();
    expect(noisyEvents).toEqual([]);
    // Then 10 calls in one window while 'quiet' holds the other slot: noisy from the 7th
    // (420 per minute > 3 × 120), once.
    emu.fail('claude-sonnet-5-5', { hangMs: 400 });
    const quiet = router.complete({ tenant: 'quiet', messages: hello });
    await waitFor(() => emu.requests.length === 7);
    for (let i = 0; i < 10; i++) await call();
    await quiet;
    expect(noisyEvents).toEqual([expect.objectContaining({ tenant: 'acme', reason: 'rate' })]);
    expect(noisyEvents[0]!.rate).toBeGreaterThan(3 * noisyEvents[0]!.baseline!);
    await router.close();
  });

  it('never fires for a tenant alone on the router, however many calls it makes at once or how fast', async () => {
    let now = Date.parse('2026-03-02T10:00:00Z');
    const router = queuedRouter({ clock: () => now, noisyNeighbor: { rateFactor: 3, windowMs: 1_000 } });
    const noisyEvents = collect(router, 'tenant.noisy');
    // Ten at once on an idle router with two slots: 100 % of the load, but nobody is crowded out.
    await Promise.all(Array.from({ length: 10 }, () => router.complete({ tenant: 'acme', messages: hello })));
    // A baseline, then a surge far above it: still alone.
    for (let w = 0; w < 3; w++, now += 1_000) await router.complete({ tenant: 'acme', messages: hello });
    await Promise.all(Array.from({ length: 20 }, () => router.complete({ tenant: 'acme', messages: hello })));
    expect(noisyEvents).toEqual([]);
    await router.close();
  });
});
