import {
  type AuditRecord,
  createMemoryStore,
  createRouter,
  type RateLimitSpec,
  type RateLimitThrottledEvent,
  type Router,
  RouterError,
  type Store,
  type TenantPolicy,
} from 'routeplane';
import { createEmulator } from 'routeplane/testing';
import { describe, expect, it } from 'vitest';
import { collect, rejection, useEmulator } from './support/harness.js';

const emu = useEmulator();

const MODEL = 'claude-sonnet-5-5';
const hello = [{ role: 'user' as const, content: 'Hello there' }];
/** The stage's estimate for `hello` with `maxTokens: 1000`: 8 + (4 + 11 bytes) input, 1000 output. */
const ESTIMATE = 1_023;

interface Setup {
  router: Router;
  clock: { now: number };
  throttled: RateLimitThrottledEvent[];
  audits: AuditRecord[];
}

/** A router on a hand-driven clock; tenant `t` has `rateLimit`. */
function setup(
  rateLimit: RateLimitSpec | undefined,
  extra: { tenants?: Record<string, TenantPolicy>; tiers?: Record<string, Partial<TenantPolicy>> } = {},
): Setup {
  const clock = { now: 1_000_000 };
  const router = createRouter({
    providers: emu.providers,
    clock: () => clock.now,
    retry: { retries: 0 },
    tenants: { t: { model: MODEL, ...(rateLimit && { rateLimit }) }, ...extra.tenants },
    ...(extra.tiers && { tiers: extra.tiers }),
  });
  return {
    router,
    clock,
    throttled: collect(router, 'ratelimit.throttled'),
    audits: collect(router, 'audit'),
  };
}

/** A router on the real clock and its own store, for waits. */
function realClockRouter(rateLimit: RateLimitSpec, store: Store = createMemoryStore()) {
  const router = createRouter({
    providers: emu.providers,
    store,
    tenants: { t: { model: MODEL, rateLimit } },
  });
  return { router, store, throttled: collect(router, 'ratelimit.throttled') };
}

const call = (router: Router, extra: Record<string, unknown> = {}) =>
  router.complete({ tenant: 't', messages: hello, maxTokens: 1000, ...extra });

async function drain(stream: AsyncIterable<unknown>): Promise<unknown> {
  try {
    for await (const _ of stream);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('requests per minute', () => {
  it('allows exactly N in a burst, refuses the next with retryAfterMs = 60 000 / N, then allows one', async () => {
    const { router, clock, throttled } = setup({ requestsPerMinute: 4 });
    for (let i = 0; i < 4; i++) await call(router);
    const refused = await rejection(call(router));
    expect(refused.code).toBe('rate_limited');
    expect(refused.retryable).toBe(true);
    expect(refused.retryAfterMs).toBe(15_000);
    expect(refused.tenant).toBe('t');
    expect(refused.message).toContain("tenant 't'");
    expect(refused.message).toContain('4 requests per minute');
    expect(refused.message).toContain('retry in 15000 ms');
    expect(emu.hits()).toBe(4);
    expect(throttled).toMatchObject([
      { tenant: 't', limit: 'requests', retryAfterMs: 15_000, waited: false },
    ]);

    clock.now += 14_999;
    expect((await rejection(call(router))).retryAfterMs).toBe(1);
    clock.now += 1;
    await call(router);
    // One per interval, not a new burst.
    expect((await rejection(call(router))).code).toBe('rate_limited');
    expect(emu.hits()).toBe(5);
    await router.close();
  });

  it('audits a refused call as denied with errorCode rate_limited', async () => {
    const { router, audits } = setup({ requestsPerMinute: 1 });
    await call(router);
    await rejection(call(router));
    expect(audits.map((a) => [a.outcome, a.errorCode])).toEqual([
      ['success', undefined],
      ['denied', 'rate_limited'],
    ]);
    await router.close();
  });

  it('counts each tenant separately, and a tenant without a rateLimit is not limited', async () => {
    const { router } = setup(
      { requestsPerMinute: 1 },
      { tenants: { u: { model: MODEL, rateLimit: { requestsPerMinute: 1 } }, free: { model: MODEL } } },
    );
    await call(router);
    await router.complete({ tenant: 'u', messages: hello });
    for (let i = 0; i < 5; i++) await router.complete({ tenant: 'free', messages: hello });
    expect((await rejection(call(router))).code).toBe('rate_limited');
    expect((await rejection(router.complete({ tenant: 'u', messages: hello }))).code).toBe('rate_limited');
    await router.close();
  });

  it('explain() takes nothing', async () => {
    const { router } = setup({ requestsPerMinute: 1 });
    for (let i = 0; i < 3; i++) await router.explain({ tenant: 't', messages: hello });
    await call(router);
    await router.close();
  });
});

describe('clock steps', () => {
  it('a clock stepped back 10 minutes does not lock out a tenant that barely used its limit', async () => {
    const { router, clock } = setup({ requestsPerMinute: 30, tokensPerMinute: 100_000 });
    await call(router);
    clock.now -= 600_000;
    // The limits stand as they were before the step: 1 of 30 requests used, 29 left.
    for (let i = 0; i < 29; i++) await call(router);
    expect((await rejection(call(router))).retryAfterMs).toBe(2_000);
    expect(emu.hits()).toBe(30);
    await router.close();
  });

  it('a clock stepped forward grants one burst at most', async () => {
    const { router, clock } = setup({ requestsPerMinute: 4 });
    for (let i = 0; i < 4; i++) await call(router);
    clock.now += 3_600_000;
    let allowed = 0;
    for (let i = 0; i < 8; i++)
      allowed += await call(router).then(
        () => 1,
        () => 0,
      );
    expect(allowed).toBe(4);
    await router.close();
  });
});

describe('tiers', () => {
  it("applies a tier's rateLimit to each tenant of the tier, and a tenant's own fields over it", async () => {
    const { router } = setup(undefined, {
      tiers: { free: { rateLimit: { requestsPerMinute: 2 } } },
      tenants: {
        a: { tier: 'free', model: MODEL },
        b: { tier: 'free', model: MODEL },
        c: { tier: 'free', model: MODEL, rateLimit: { requestsPerMinute: 3 } },
        paid: { model: MODEL },
      },
    });
    const run = async (tenant: string, n: number) => {
      let ok = 0;
      for (let i = 0; i < n; i++) {
        try {
          await router.complete({ tenant, messages: hello });
          ok++;
        } catch (error) {
          if (!RouterError.isInstance(error) || error.code !== 'rate_limited') throw error;
        }
      }
      return ok;
    };
    expect(await run('a', 4)).toBe(2);
    expect(await run('b', 4)).toBe(2);
    expect(await run('c', 4)).toBe(3);
    expect(await run('paid', 4)).toBe(4);
    await router.close();
  });
});

describe('tokens per minute', () => {
  it('takes estimated input plus maxTokens and settles with the actual usage', async () => {
    // 3 000 per minute: three estimates of 1 023 would not fit; settled at 15 each, many do.
    const { router } = setup({ tokensPerMinute: 3_000 });
    emu.respond(MODEL, { text: 'ok', usage: { inputTokens: 10, outputTokens: 5 } });
    for (let i = 0; i < 10; i++) await call(router);
    expect(emu.hits()).toBe(10);
    await router.close();
  });

  it('holds when the actual usage is as large as the estimate', async () => {
    const { router, clock, throttled } = setup({ tokensPerMinute: 3_000 });
    emu.respond(MODEL, { text: 'ok', usage: { inputTokens: 23, outputTokens: 1000 } });
    await call(router);
    await call(router);
    const refused = await rejection(call(router));
    expect(refused.code).toBe('rate_limited');
    expect(refused.message).toContain('3000 tokens per minute');
    expect(refused.message).toContain(`up to ${ESTIMATE}`);
    // 2 × 1 023 + 1 023 - 3 000 = 69 tokens over, at 20 ms a token.
    expect(refused.retryAfterMs).toBe(69 * 20);
    expect(throttled).toMatchObject([{ limit: 'tokens', retryAfterMs: 1_380, waited: false }]);
    clock.now += 1_380;
    await call(router);
    await router.close();
  });

  it('charges usage above the estimate', async () => {
    const { router } = setup({ tokensPerMinute: 3_000 });
    emu.respond(MODEL, { text: 'ok', usage: { inputTokens: 2_000, outputTokens: 900 } });
    await call(router);
    expect((await rejection(call(router))).code).toBe('rate_limited');
    await router.close();
  });

  it('uses defaultMaxTokens when the request sets no maxTokens', async () => {
    const { router } = setup({ tokensPerMinute: 4_000 });
    // 23 + 4 096 > 4 000: can never fit.
    const refused = await rejection(router.complete({ tenant: 't', messages: hello }));
    expect(refused.code).toBe('rate_limited');
    await call(router);
    await router.close();
  });

  it('fails at once, not retryable, when the estimate can never fit', async () => {
    const { router, throttled } = setup({ tokensPerMinute: 500, onLimit: 'wait' });
    const started = performance.now();
    const refused = await rejection(call(router));
    expect(performance.now() - started).toBeLessThan(500);
    expect(refused.code).toBe('rate_limited');
    expect(refused.retryable).toBe(false);
    expect(refused.retryAfterMs).toBeUndefined();
    expect(refused.message).toContain('can never fit');
    expect(refused.message).toContain('500 tokens per minute');
    expect(throttled).toEqual([]);
    expect(emu.hits()).toBe(0);
    await router.close();
  });

  it('gives the request back when the tokens take is refused', async () => {
    const { router, clock } = setup({ requestsPerMinute: 2, tokensPerMinute: 1_500 });
    emu.respond(MODEL, { text: 'ok', usage: { inputTokens: 23, outputTokens: 1000 } });
    await call(router); // 1 request, 1 023 tokens
    // Refused by tokens, three times: none of them counts as a request.
    for (let i = 0; i < 3; i++)
      expect((await rejection(call(router))).message).toContain('tokens per minute');
    clock.now += 60_000;
    emu.respond(MODEL, { text: 'ok', usage: { inputTokens: 10, outputTokens: 5 } });
    await call(router);
    await call(router);
    expect((await rejection(call(router))).message).toContain('2 requests per minute');
    await router.close();
  });

  it('a failed call gives its whole estimate back', async () => {
    const { router } = setup({ tokensPerMinute: 2_100 });
    emu.fail(MODEL, { status: 400 });
    expect((await rejection(call(router))).code).toBe('providers_exhausted');
    emu.respond(MODEL, { text: 'ok', usage: { inputTokens: 23, outputTokens: 1000 } });
    await call(router);
    await call(router);
    expect((await rejection(call(router))).code).toBe('rate_limited');
    await router.close();
  });

  it('an aborted call gives its whole estimate back', async () => {
    const { router } = setup({ tokensPerMinute: 1_500 });
    emu.fail(MODEL, { hangMs: 1_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    expect((await rejection(call(router, { signal: controller.signal }))).code).toBe('aborted');
    emu.respond(MODEL, { text: 'ok', usage: { inputTokens: 23, outputTokens: 1000 } });
    await call(router);
    await router.close();
  });
});

describe('streams', () => {
  it('settle at their end: the estimate is held while the stream runs', async () => {
    const slow = await createEmulator({ perTokenMs: 40 });
    const router = createRouter({
      providers: slow.providers,
      tenants: { t: { model: MODEL, rateLimit: { tokensPerMinute: 1_500 } } },
    });
    try {
      slow.respond(MODEL, { text: 'alpha beta gamma delta', usage: { inputTokens: 10, outputTokens: 4 } });
      const stream = router.stream({ tenant: 't', messages: hello, maxTokens: 1000 });
      const iterator = stream[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toMatchObject({ type: 'text' });
      // 1 023 held by the stream: another estimate does not fit yet.
      expect((await rejection(call(router))).message).toContain('tokens per minute');
      while (!(await iterator.next()).done);
      await stream.result;
      // Settled at 14: it fits now.
      await call(router);
    } finally {
      await router.close();
      await slow.close();
    }
  });

  it('keep the estimate charged when cut off after the first part (usage unknown)', async () => {
    const { router } = setup({ tokensPerMinute: 1_500 });
    emu.respond(MODEL, {
      text: 'alpha beta gamma delta epsilon',
      usage: { inputTokens: 10, outputTokens: 5 },
    });
    emu.fail(MODEL, { cutAfter: 5 });
    const stream = router.stream({ tenant: 't', messages: hello, maxTokens: 1000 });
    expect(await drain(stream)).toBeDefined();
    await rejection(stream.result);
    expect((await rejection(call(router))).message).toContain('tokens per minute');
    await router.close();
  });

  it('a stream refused by a limit fails with rate_limited', async () => {
    const { router } = setup({ requestsPerMinute: 1 });
    await drain(router.stream({ tenant: 't', messages: hello }));
    const stream = router.stream({ tenant: 't', messages: hello });
    const error = await drain(stream);
    expect(RouterError.isInstance(error) && error.code).toBe('rate_limited');
    expect((await rejection(stream.result)).code).toBe('rate_limited');
    await router.close();
  });
});

describe("onLimit: 'wait'", () => {
  // 600 per minute: one every 100 ms. The burst is used up directly in the store.
  const exhaust = (store: Store, perMinute: number) =>
    store.rateTake('rate:{t}:requests', perMinute, perMinute, 60_000, Date.now());

  it('waits until the call fits, and says so in the event', async () => {
    const { router, store, throttled } = realClockRouter({ requestsPerMinute: 600, onLimit: 'wait' });
    await exhaust(store, 600);
    const started = performance.now();
    const result = await call(router);
    const elapsed = performance.now() - started;
    expect(result.text).toBeDefined();
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(1_000);
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    expect(throttled[0]).toMatchObject({ tenant: 't', limit: 'requests', waited: true });
    expect(throttled[0]!.retryAfterMs).toBeGreaterThan(80);
    expect(throttled[0]!.retryAfterMs).toBeLessThanOrEqual(100);
    await router.close();
  });

  it('waits within the deadline', async () => {
    const { router, store } = realClockRouter({ requestsPerMinute: 600, onLimit: 'wait' });
    await exhaust(store, 600);
    await call(router, { timeoutMs: 2_000 });
    await router.close();
  });

  it('fails at once with rate_limited when the wait would pass the deadline', async () => {
    // 60 per minute: one a second, past a 200 ms deadline.
    const { router, store, throttled } = realClockRouter({ requestsPerMinute: 60, onLimit: 'wait' });
    await exhaust(store, 60);
    const started = performance.now();
    const refused = await rejection(call(router, { timeoutMs: 200 }));
    expect(performance.now() - started).toBeLessThan(150);
    expect(refused.code).toBe('rate_limited');
    expect(refused.retryAfterMs).toBeGreaterThan(900);
    expect(refused.message).toContain('deadline');
    expect(throttled).toMatchObject([{ limit: 'requests', waited: false }]);
    expect(emu.hits()).toBe(0);
    await router.close();
  });

  it('stops waiting when the signal aborts', async () => {
    const { router, store, throttled } = realClockRouter({ requestsPerMinute: 60, onLimit: 'wait' });
    await exhaust(store, 60);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const refused = await rejection(call(router, { signal: controller.signal }));
    expect(performance.now() - started).toBeLessThan(500);
    expect(refused.code).toBe('aborted');
    expect(throttled).toMatchObject([{ waited: true }]);
    expect(emu.hits()).toBe(0);
    await router.close();
  });

  it('waits for tokens too, and gives the request back while it waits', async () => {
    // 60 000 tokens per minute: one a millisecond; 100 tokens short is a 100 ms wait.
    const store = createMemoryStore();
    const { router, throttled } = realClockRouter(
      { requestsPerMinute: 2, tokensPerMinute: 60_000, onLimit: 'wait' },
      store,
    );
    await store.rateTake('rate:{t}:tokens', 60_000 - ESTIMATE + 100, 60_000, 60_000, Date.now());
    const started = performance.now();
    await call(router);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(throttled[0]).toMatchObject({ limit: 'tokens', waited: true });
    // The waits took no requests: the second of two still fits, at once.
    await call(router, { timeoutMs: 1_000 });
    await router.close();
  });
});
