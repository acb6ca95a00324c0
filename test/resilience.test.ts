import { createRouter, type ModelSpec, ProviderError, type RouterConfig, RouterError } from 'routeplane';
import { createEmulator, type EmulatedFault, type Emulator, type EmulatorOptions } from 'routeplane/testing';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  collect,
  sleep as delay,
  drain,
  rejection,
  textOf,
  useEmulator,
  useRouters,
} from './support/harness.js';

const emu = useEmulator();
const routers = useRouters();

type ProviderName = 'openai' | 'anthropic' | 'mistral';

interface Row {
  provider: ProviderName;
  /** The first candidate, on `provider`. */
  model: string;
  /** A second model on the same provider. */
  sibling: string;
  /** A model on another provider. */
  fallbackModel: string;
  fallbackProvider: ProviderName;
  /** Index of the first SSE event that carries text in this provider's wire format. */
  firstTextEvent: number;
}

const PROVIDERS: Row[] = [
  {
    provider: 'openai',
    model: 'gpt-6.2-sol',
    sibling: 'gpt-6-luna',
    fallbackModel: 'mistral-large-latest',
    fallbackProvider: 'mistral',
    // role chunk (content ''), then one chunk per token
    firstTextEvent: 1,
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-5-5',
    sibling: 'claude-haiku-5-5',
    fallbackModel: 'gpt-6.2-sol',
    fallbackProvider: 'openai',
    // message_start, ping, content_block_start, then one text_delta per token
    firstTextEvent: 3,
  },
  {
    provider: 'mistral',
    model: 'mistral-large-latest',
    sibling: 'mistral-small-latest',
    fallbackModel: 'claude-sonnet-5-5',
    fallbackProvider: 'anthropic',
    // role chunk (content ''), then one chunk per token
    firstTextEvent: 1,
  },
];

const RETRIES = 2;
const FAST = { retries: RETRIES, minDelayMs: 1, maxDelayMs: 5 };
const hello = [{ role: 'user' as const, content: 'Hello there' }];

/** A router whose one tenant `t` is pinned to `chain[0]` with the rest of `chain` as its fallbacks. */
function chainRouter(chain: string[], extra: Partial<RouterConfig> = {}) {
  const [model, ...fallbacks] = chain;
  const router = createRouter({
    providers: emu.providers,
    tenants: { t: { model: model!, fallbacks } },
    retry: FAST,
    ...extra,
  });
  routers.push(router);
  return { router, fallbackEvents: collect(router, 'fallback'), audits: collect(router, 'audit') };
}

function times<T>(n: number, value: T): T[] {
  return Array.from({ length: n }, () => value);
}

/** Timers keeping the event loop alive right now. */
const activeTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/**
 * Runs `call` (which must settle) against an emulator of its own, and counts the live timers
 * before it and after it settled. Vitest throttles its task updates with a timer of up to
 * 100 ms set as each test starts: wait that out before the first count. The emulator is
 * closed before the second: its idle keep-alive sockets hold server-side timeouts that are
 * no timer of the router's.
 */
async function timersAround(
  call: (local: Emulator) => Promise<unknown>,
  options: EmulatorOptions = {},
): Promise<{ before: number; after: number; local: Emulator }> {
  const local = await createEmulator(options);
  await delay(120);
  const before = activeTimeouts();
  try {
    await call(local);
  } finally {
    await local.close();
  }
  await delay(20);
  return { before, after: activeTimeouts(), local };
}

/** The bodies each provider sends with a 400 for a prompt over the context window. */
const CONTEXT_LENGTH_BODY: Record<ProviderName, unknown> = {
  openai: {
    error: {
      message: "This model's maximum context length is 8000 tokens.",
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    },
  },
  anthropic: {
    type: 'error',
    error: { type: 'invalid_request_error', message: 'prompt is too long: 9000 tokens > 8000 maximum' },
  },
  mistral: {
    object: 'error',
    message: 'Prompt contains 9000 tokens, too large for model with 8000 maximum context length',
    type: 'invalid_request_error',
    param: null,
    code: null,
  },
};

/**
 * The bodies of a 400 refused by the provider's safety system. Every adapter classifies a
 * 400 by its code/type and message (`classifyFailure`), so all three can produce
 * content_filter from a status.
 */
const CONTENT_FILTER_BODY: Record<ProviderName, unknown> = {
  openai: {
    error: {
      message: 'Your request was rejected as a result of our safety system.',
      type: 'invalid_request_error',
      param: null,
      code: 'content_policy_violation',
    },
  },
  anthropic: {
    type: 'error',
    error: { type: 'invalid_request_error', message: 'Output blocked by content filtering policy' },
  },
  mistral: {
    object: 'error',
    message: 'Request rejected by the moderation service: content policy',
    type: 'invalid_request_error',
    param: null,
    code: null,
  },
};

describe('retries on one candidate', () => {
  it.each(PROVIDERS)(
    '$provider: a 429 with retry-after-ms is retried on the same model after at least that long',
    async ({ model, fallbackModel }) => {
      const { router, fallbackEvents } = chainRouter([model, fallbackModel]);
      let failedAt = 0;
      let retriedAt = 0;
      router.on('attempt.failed', () => {
        failedAt = performance.now();
      });
      emu.fail(model, { status: 429, headers: { 'retry-after-ms': '30' } });
      emu.respond(model, () => {
        retriedAt = performance.now();
        return { text: 'after the wait' };
      });
      const started = performance.now();
      const result = await router.complete({ tenant: 't', messages: hello });
      expect(performance.now() - started).toBeGreaterThanOrEqual(30);
      // From the failed attempt to the retry reaching the emulator (1 ms for timer granularity).
      expect(retriedAt - failedAt).toBeGreaterThanOrEqual(29);
      expect(result.text).toBe('after the wait');
      expect(result.model).toBe(model);
      expect(emu.hits(model)).toBe(2);
      expect(emu.hits(fallbackModel)).toBe(0);
      expect(fallbackEvents).toEqual([]);
      expect(result.attempts).toMatchObject([
        { model, ok: false, errorCode: 'rate_limited', status: 429 },
        { model, ok: true },
      ]);
    },
  );

  it.each(PROVIDERS)(
    '$provider: the backoff doubles from minDelayMs, and every retry waits at least its retry-after',
    async ({ model, fallbackModel }) => {
      const { router } = chainRouter([model, fallbackModel], {
        retry: { retries: 4, minDelayMs: 15, maxDelayMs: 1000 },
      });
      const failedAt: number[] = [];
      router.on('attempt.failed', () => failedAt.push(performance.now()));
      let answeredAt = 0;
      emu.fail(
        model,
        { status: 500 },
        { status: 429, headers: { 'retry-after-ms': '70' } },
        { status: 500 },
        { status: 500 },
      );
      emu.respond(model, () => {
        answeredAt = performance.now();
        return { text: 'fifth time' };
      });
      const result = await router.complete({ tenant: 't', messages: hello });
      expect(result.text).toBe('fifth time');
      expect(emu.hits(model)).toBe(5);
      // The wait from each failure to the next attempt (1 ms for timer granularity; jitter
      // only adds): backoffs of 15, 30 (raised to the provider's 70), 60 and 120.
      const waits = [...failedAt.slice(1), answeredAt].map((t, i) => t - failedAt[i]!);
      expect(waits[0]).toBeGreaterThanOrEqual(14);
      expect(waits[1]).toBeGreaterThanOrEqual(69);
      expect(waits[2]).toBeGreaterThanOrEqual(59);
      expect(waits[3]).toBeGreaterThanOrEqual(119);
    },
  );

  it.each(
    PROVIDERS.flatMap((row) =>
      [500, 503, ...(row.provider === 'anthropic' ? [529] : [])].map((status) => ({
        ...row,
        status,
        code: status === 500 ? 'server_error' : 'overloaded',
      })),
    ),
  )(
    '$provider: a $status is retried `retries` times, then the call falls back',
    async ({ model, fallbackModel, status, code }) => {
      const { router, fallbackEvents } = chainRouter([model, fallbackModel]);
      emu.fail(model, ...times(RETRIES + 1, { status }));
      const result = await router.complete({ tenant: 't', messages: hello });
      expect(result.model).toBe(fallbackModel);
      expect(emu.hits(model)).toBe(RETRIES + 1);
      expect(emu.hits(fallbackModel)).toBe(1);
      expect(fallbackEvents).toMatchObject([{ from: model, to: fallbackModel, reason: code }]);
      expect(result.attempts).toMatchObject([
        ...times(RETRIES + 1, { model, ok: false, errorCode: code, status }),
        { model: fallbackModel, ok: true },
      ]);
    },
  );

  it.each(
    PROVIDERS.flatMap((row) =>
      (
        [
          { name: 'a connection reset', fault: { reset: true }, code: 'connection' },
          { name: 'a malformed body', fault: { malformed: true }, code: 'server_error' },
          { name: 'a hang past attemptTimeoutMs', fault: { hangMs: 5000 }, code: 'timeout' },
        ] as { name: string; fault: EmulatedFault; code: string }[]
      ).map((c) => ({ ...row, ...c })),
    ),
  )(
    '$provider: $name is classified $code and retried on the same model',
    async ({ model, fallbackModel, fault, code }) => {
      const { router, fallbackEvents } = chainRouter([model, fallbackModel], { attemptTimeoutMs: 100 });
      emu.fail(model, ...times(RETRIES, fault));
      emu.respond(model, { text: 'third time lucky' });
      const result = await router.complete({ tenant: 't', messages: hello });
      expect(result.text).toBe('third time lucky');
      expect(emu.hits(model)).toBe(RETRIES + 1);
      expect(emu.hits(fallbackModel)).toBe(0);
      expect(fallbackEvents).toEqual([]);
      expect(result.attempts).toMatchObject([
        ...times(RETRIES, { model, ok: false, errorCode: code }),
        { ok: true },
      ]);
      if ('hangMs' in fault) {
        // The attempt deadline closed the connection; the emulator saw it go.
        await vi.waitFor(() => {
          expect(emu.requests.slice(0, RETRIES).map((r) => r.clientClosed)).toEqual(times(RETRIES, true));
        });
        expect(emu.requests[RETRIES]).toMatchObject({ clientClosed: false, answered: true });
      }
    },
  );
});

describe('falling back', () => {
  it.each(PROVIDERS)(
    '$provider: a 429 whose retry-after is above maxRetryAfterMs falls back at once',
    async ({ model, fallbackModel }) => {
      const { router, fallbackEvents, audits } = chainRouter([model, fallbackModel]);
      emu.fail(model, { status: 429, headers: { 'retry-after': '30' } });
      const started = performance.now();
      const result = await router.complete({ tenant: 't', messages: hello });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(emu.hits(model)).toBe(1);
      expect(emu.hits(fallbackModel)).toBe(1);
      expect(fallbackEvents).toMatchObject([{ from: model, to: fallbackModel, reason: 'rate_limited' }]);
      expect(result.model).toBe(fallbackModel);
      expect(result.attempts).toMatchObject([
        { model, ok: false, errorCode: 'rate_limited', status: 429 },
        { model: fallbackModel, ok: true },
      ]);
      expect(audits).toMatchObject([{ outcome: 'success', model: fallbackModel, fallbacks: [model] }]);
    },
  );

  it.each(
    PROVIDERS.flatMap((row) => [
      { ...row, status: 401, code: 'auth' },
      { ...row, status: 400, code: 'bad_request' },
    ]),
  )(
    '$provider: a $status ($code) skips every other candidate of that provider',
    async ({ model, sibling, fallbackModel, status, code }) => {
      const { router, fallbackEvents } = chainRouter([model, sibling, fallbackModel]);
      emu.fail(model, { status });
      const result = await router.complete({ tenant: 't', messages: hello });
      expect([emu.hits(model), emu.hits(sibling), emu.hits(fallbackModel)]).toEqual([1, 0, 1]);
      expect(result.model).toBe(fallbackModel);
      expect(fallbackEvents).toMatchObject([{ from: model, to: fallbackModel, reason: code }]);
      expect(result.attempts).toMatchObject([
        { model, ok: false, errorCode: code, status },
        { model: fallbackModel, ok: true },
      ]);
    },
  );

  it.each(PROVIDERS)(
    '$provider: a context-length 400 skips the candidates whose window is not larger',
    async ({ provider, fallbackProvider }) => {
      const spec = (id: string, on: string, contextWindow: number): ModelSpec => ({
        id,
        provider: on,
        pricing: { inputPerMTok: 1, outputPerMTok: 1 },
        contextWindow,
        maxOutputTokens: 1000,
      });
      const models = [
        spec('ctx-8k', provider, 8000),
        spec('other-8k', fallbackProvider, 8000),
        spec('other-4k', fallbackProvider, 4000),
        spec('ctx-32k', provider, 32_000),
      ];
      const { router, fallbackEvents } = chainRouter(
        models.map((m) => m.id),
        { models },
      );
      emu.fail('ctx-8k', { status: 400, body: CONTEXT_LENGTH_BODY[provider] });
      const result = await router.complete({ tenant: 't', maxTokens: 50, messages: hello });
      expect(models.map((m) => emu.hits(m.id))).toEqual([1, 0, 0, 1]);
      expect(result.model).toBe('ctx-32k');
      expect(fallbackEvents).toMatchObject([{ from: 'ctx-8k', to: 'ctx-32k', reason: 'context_length' }]);
      expect(result.attempts).toMatchObject([
        { model: 'ctx-8k', ok: false, errorCode: 'context_length', status: 400 },
        { model: 'ctx-32k', ok: true },
      ]);
    },
  );

  it.each(PROVIDERS)(
    '$provider: a content_filter 400 ends the call at once, with no fallback',
    async ({ provider, model, sibling, fallbackModel }) => {
      const { router, fallbackEvents, audits } = chainRouter([model, sibling, fallbackModel]);
      emu.fail(model, { status: 400, body: CONTENT_FILTER_BODY[provider] });
      const error = await rejection(router.complete({ tenant: 't', messages: hello }));
      expect(error.code).toBe('providers_exhausted');
      expect(ProviderError.isInstance(error.cause)).toBe(true);
      expect(error.cause).toMatchObject({ code: 'content_filter', status: 400, retryable: false });
      expect([emu.hits(model), emu.hits(sibling), emu.hits(fallbackModel)]).toEqual([1, 0, 0]);
      expect(fallbackEvents).toEqual([]);
      expect(error.attempts).toMatchObject([{ model, ok: false, errorCode: 'content_filter', status: 400 }]);
      expect(audits).toMatchObject([{ outcome: 'failed', fallbacks: [] }]);
    },
  );

  it.each(PROVIDERS)(
    '$provider: a 404 moves on to the next candidate, even on the same provider',
    async ({ model, sibling, fallbackModel }) => {
      const { router, fallbackEvents } = chainRouter([model, sibling, fallbackModel]);
      emu.fail(model, { status: 404 });
      const result = await router.complete({ tenant: 't', messages: hello });
      expect([emu.hits(model), emu.hits(sibling), emu.hits(fallbackModel)]).toEqual([1, 1, 0]);
      expect(result.model).toBe(sibling);
      expect(fallbackEvents).toMatchObject([{ from: model, to: sibling, reason: 'not_found' }]);
      expect(result.attempts).toMatchObject([
        { model, ok: false, errorCode: 'not_found', status: 404 },
        { model: sibling, ok: true },
      ]);
    },
  );

  it.each(PROVIDERS)(
    '$provider: when every candidate fails, providers_exhausted lists every attempt in order',
    async ({ model, sibling, fallbackModel, fallbackProvider }) => {
      const { router, audits } = chainRouter([model, sibling, fallbackModel]);
      emu.fail(model, ...times(RETRIES + 1, { status: 500 }));
      emu.fail(sibling, ...times<EmulatedFault>(RETRIES + 1, { reset: true }));
      emu.fail(fallbackModel, { status: 401 });
      const error = await rejection(router.complete({ tenant: 't', messages: hello }));
      expect(error.code).toBe('providers_exhausted');
      expect([emu.hits(model), emu.hits(sibling), emu.hits(fallbackModel)]).toEqual([
        RETRIES + 1,
        RETRIES + 1,
        1,
      ]);
      expect(error.attempts).toMatchObject([
        ...times(RETRIES + 1, { model, ok: false, errorCode: 'server_error', status: 500 }),
        ...times(RETRIES + 1, { model: sibling, ok: false, errorCode: 'connection' }),
        { model: fallbackModel, ok: false, errorCode: 'auth', status: 401 },
      ]);
      expect(
        error.attempts!.filter((a) => a.errorCode === 'connection').every((a) => a.status === undefined),
      ).toBe(true);
      expect(ProviderError.isInstance(error.cause)).toBe(true);
      expect(error.cause).toMatchObject({ code: 'auth', status: 401, provider: fallbackProvider });
      expect(audits).toHaveLength(1);
      expect(audits[0]).toMatchObject({
        outcome: 'failed',
        errorCode: 'providers_exhausted',
        fallbacks: [model, sibling],
      });
      expect(audits[0]!.attempts).toHaveLength(2 * (RETRIES + 1) + 1);
    },
  );
});

describe('streams', () => {
  it.each(PROVIDERS)(
    '$provider: a 500 before the first token falls back and the stream completes with the fallback',
    async ({ model, fallbackModel }) => {
      const { router, fallbackEvents, audits } = chainRouter([model, fallbackModel]);
      emu.fail(model, ...times(RETRIES + 1, { status: 500 }));
      emu.respond(fallbackModel, { text: 'from the fallback' });
      const stream = router.stream({ tenant: 't', messages: hello });
      const { parts, error } = await drain(stream);
      expect(error).toBeUndefined();
      expect(textOf(parts)).toBe('from the fallback');
      expect(parts.at(-1)?.type).toBe('finish');
      const result = await stream.result;
      expect(result.model).toBe(fallbackModel);
      expect([emu.hits(model), emu.hits(fallbackModel)]).toEqual([RETRIES + 1, 1]);
      expect(fallbackEvents).toMatchObject([{ from: model, to: fallbackModel, reason: 'server_error' }]);
      expect(audits).toMatchObject([{ outcome: 'success', stream: true, fallbacks: [model] }]);
    },
  );

  it.each(
    PROVIDERS.flatMap((row) =>
      [0, row.firstTextEvent].map((cutAfter) => ({
        ...row,
        cutAfter,
        events: cutAfter === 0 ? 'no event' : `${cutAfter} event${cutAfter > 1 ? 's' : ''}`,
      })),
    ),
  )(
    '$provider: a stream cut after $events, before any text, falls back',
    async ({ model, fallbackModel, cutAfter }) => {
      const { router, fallbackEvents } = chainRouter([model, fallbackModel]);
      emu.fail(model, ...times(RETRIES + 1, { cutAfter }));
      emu.respond(model, { text: 'never seen' });
      emu.respond(fallbackModel, { text: 'from the fallback' });
      const stream = router.stream({ tenant: 't', messages: hello });
      const { parts, error } = await drain(stream);
      expect(error).toBeUndefined();
      expect(textOf(parts)).toBe('from the fallback');
      const result = await stream.result;
      expect(result.model).toBe(fallbackModel);
      expect([emu.hits(model), emu.hits(fallbackModel)]).toEqual([RETRIES + 1, 1]);
      expect(result.attempts).toMatchObject([
        ...times(RETRIES + 1, { model, ok: false, errorCode: 'connection' }),
        { model: fallbackModel, ok: true },
      ]);
      expect(fallbackEvents).toMatchObject([{ from: model, to: fallbackModel, reason: 'connection' }]);
    },
  );

  it.each(PROVIDERS)(
    '$provider: a stream cut after its first token ends in an error, never a silent switch',
    async ({ model, fallbackModel, firstTextEvent }) => {
      const { router, fallbackEvents, audits } = chainRouter([model, fallbackModel]);
      emu.respond(model, { text: 'alpha beta gamma delta epsilon' });
      emu.fail(model, { cutAfter: firstTextEvent + 2 });
      const stream = router.stream({ tenant: 't', messages: hello });
      const { parts, error } = await drain(stream);
      expect(textOf(parts)).toBe('alpha beta ');
      expect(parts.at(-1)?.type).toBe('error');
      expect(RouterError.isInstance(error)).toBe(true);
      const failure = await rejection(stream.result);
      expect(failure.code).toBe('providers_exhausted');
      expect(error).toBe(failure);
      expect([emu.hits(model), emu.hits(fallbackModel)]).toEqual([1, 0]);
      expect(fallbackEvents).toEqual([]);
      expect(audits).toMatchObject([{ outcome: 'failed', stream: true, fallbacks: [] }]);
      expect(audits[0]!.attempts).toMatchObject([{ model, ok: false, errorCode: 'connection' }]);
    },
  );
});

describe('attempt deadline of a stream', () => {
  it.each(PROVIDERS)(
    '$provider: attemptTimeoutMs bounds the wait for the first part, not the whole stream',
    async ({ model, fallbackModel }) => {
      const slow = await createEmulator({ perTokenMs: 20 });
      try {
        const { router } = chainRouter([model, fallbackModel], {
          providers: slow.providers,
          attemptTimeoutMs: 150,
        });
        // 14 tokens 20 ms apart: the whole stream takes well over attemptTimeoutMs.
        const text = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen';
        slow.respond(model, { text });
        const started = performance.now();
        const stream = router.stream({ tenant: 't', messages: hello });
        const { parts, error } = await drain(stream);
        expect(error).toBeUndefined();
        expect(performance.now() - started).toBeGreaterThan(250);
        expect(textOf(parts)).toBe(text);
        expect((await stream.result).attempts).toMatchObject([{ model, ok: true }]);
        expect([slow.hits(model), slow.hits(fallbackModel)]).toEqual([1, 0]);
      } finally {
        await slow.close();
      }
    },
  );

  it.each(PROVIDERS)(
    '$provider: a stream that hangs before its first part is retried at attemptTimeoutMs',
    async ({ provider, model, fallbackModel }) => {
      const { router } = chainRouter([model, fallbackModel], { attemptTimeoutMs: 100 });
      emu.fail(model, { hangMs: 5000 });
      emu.respond(model, { text: 'second try' });
      const stream = router.stream({ tenant: 't', messages: hello });
      const { parts, error } = await drain(stream);
      expect(error).toBeUndefined();
      expect(textOf(parts)).toBe('second try');
      expect((await stream.result).attempts).toMatchObject([
        { model, ok: false, errorCode: 'timeout' },
        { model, ok: true },
      ]);
      expect([emu.hits(model), emu.hits(fallbackModel)]).toEqual([2, 0]);
      // Known limitation, not checked for Mistral: its SDK hands Node's fetch a `Request`, and
      // the abort of the hung attempt sometimes never reaches the connection (seen in about a
      // third of full-suite runs, and in fb8f149 too under forced GCs), which then stays open
      // until the server answers. The attempt itself fails at its deadline and is retried
      // either way (asserted above). README "Status" lists it.
      if (provider === 'mistral') return;
      // The close reaches the emulator after the retry answered; on a loaded machine (the
      // whole suite, other processes) that has taken more than waitFor's default second.
      await vi.waitFor(() => expect(emu.requests[0]?.clientClosed).toBe(true), { timeout: 5_000 });
    },
  );
});

describe('cancellation and deadlines', () => {
  it.each(PROVIDERS)(
    "$provider: a caller's signal aborted before the call sends nothing",
    async ({ model, fallbackModel }) => {
      const { router, audits } = chainRouter([model, fallbackModel]);
      const error = await rejection(
        router.complete({ tenant: 't', messages: hello, signal: AbortSignal.abort() }),
      );
      expect(error.code).toBe('aborted');
      expect(emu.hits()).toBe(0);
      expect(audits).toMatchObject([{ outcome: 'failed', errorCode: 'aborted' }]);
    },
  );

  it.each(PROVIDERS)(
    "$provider: the caller's signal during a retry backoff stops the chain at once",
    async ({ model, fallbackModel }) => {
      const { router } = chainRouter([model, fallbackModel], {
        retry: { retries: 3, minDelayMs: 3000, maxDelayMs: 3000 },
      });
      emu.fail(model, { status: 500 });
      const controller = new AbortController();
      const call = rejection(router.complete({ tenant: 't', messages: hello, signal: controller.signal }));
      await vi.waitFor(() => expect(emu.hits(model)).toBe(1));
      await delay(30);
      const abortedAt = performance.now();
      controller.abort();
      const error = await call;
      expect(performance.now() - abortedAt).toBeLessThan(500);
      expect(error.code).toBe('aborted');
      await delay(30);
      expect([emu.hits(model), emu.hits(fallbackModel)]).toEqual([1, 0]);
    },
  );

  it.each(PROVIDERS)(
    "$provider: the caller's signal during a retry-after wait stops the chain at once",
    async ({ model, fallbackModel }) => {
      const { router } = chainRouter([model, fallbackModel]);
      emu.fail(model, { status: 429, headers: { 'retry-after-ms': '3000' } });
      const controller = new AbortController();
      const call = rejection(router.complete({ tenant: 't', messages: hello, signal: controller.signal }));
      await vi.waitFor(() => expect(emu.hits(model)).toBe(1));
      await delay(30);
      const abortedAt = performance.now();
      controller.abort();
      const error = await call;
      expect(performance.now() - abortedAt).toBeLessThan(500);
      expect(error.code).toBe('aborted');
      await delay(30);
      expect([emu.hits(model), emu.hits(fallbackModel)]).toEqual([1, 0]);
    },
  );

  it.each(PROVIDERS)(
    '$provider: timeoutMs on the whole call during a hang is a timeout, and closes the connection',
    async ({ model, fallbackModel }) => {
      const { router, audits } = chainRouter([model, fallbackModel]);
      emu.fail(model, { hangMs: 5000 });
      const started = performance.now();
      const error = await rejection(router.complete({ tenant: 't', messages: hello, timeoutMs: 150 }));
      expect(error.code).toBe('timeout');
      expect(performance.now() - started).toBeLessThan(1000);
      await vi.waitFor(() => expect(emu.requests[0]?.clientClosed).toBe(true));
      expect([emu.hits(model), emu.hits(fallbackModel)]).toEqual([1, 0]);
      expect(audits).toMatchObject([{ outcome: 'failed', errorCode: 'timeout' }]);
    },
  );
});

describe('no timer left behind', () => {
  // Idle keep-alive sockets of an emulator hold a server-side timeout each: start this block
  // with none, and give each test an emulator of its own, closed before counting again.
  beforeAll(() => emu.restart());

  it.each(PROVIDERS)('$provider: after a retried call', async ({ model, fallbackModel }) => {
    const { before, after, local } = await timersAround(async (local) => {
      const { router } = chainRouter([model, fallbackModel], {
        providers: local.providers,
        attemptTimeoutMs: 10_000,
      });
      local.fail(model, { status: 500 }, { status: 429, headers: { 'retry-after-ms': '10' } });
      return router.complete({ tenant: 't', messages: hello, timeoutMs: 5000 });
    });
    expect([local.hits(model), local.hits(fallbackModel)]).toEqual([RETRIES + 1, 0]);
    expect(local.requests.at(-1)?.answered).toBe(true);
    expect(after).toBe(before);
  });

  it.each(PROVIDERS)('$provider: after a call aborted in its backoff', async ({ model, fallbackModel }) => {
    const { before, after, local } = await timersAround(async (local) => {
      const { router } = chainRouter([model, fallbackModel], {
        providers: local.providers,
        retry: { retries: 3, minDelayMs: 3000, maxDelayMs: 3000 },
        attemptTimeoutMs: 10_000,
      });
      local.fail(model, { status: 500 });
      const controller = new AbortController();
      const call = router.complete({
        tenant: 't',
        messages: hello,
        signal: controller.signal,
        timeoutMs: 5000,
      });
      await vi.waitFor(() => expect(local.hits(model)).toBe(1));
      await delay(10);
      controller.abort();
      expect((await rejection(call)).code).toBe('aborted');
    });
    expect(local.hits()).toBe(1);
    expect(after).toBe(before);
  });

  it.each(PROVIDERS)('$provider: after a call that timed out', async ({ model, fallbackModel }) => {
    const { before, after, local } = await timersAround(async (local) => {
      const { router } = chainRouter([model, fallbackModel], {
        providers: local.providers,
        attemptTimeoutMs: 10_000,
      });
      local.fail(model, { hangMs: 5000 });
      const call = router.complete({ tenant: 't', messages: hello, timeoutMs: 100 });
      await expect(call).rejects.toMatchObject({ code: 'timeout' });
      await vi.waitFor(() => expect(local.requests[0]?.clientClosed).toBe(true));
    });
    expect(local.hits()).toBe(1);
    expect(after).toBe(before);
  });

  it.each(PROVIDERS)(
    '$provider: after a stream whose consumer stopped reading',
    async ({ model, fallbackModel }) => {
      let outcome: unknown;
      const { before, after, local } = await timersAround(
        async (local) => {
          const { router, audits } = chainRouter([model, fallbackModel], {
            providers: local.providers,
            attemptTimeoutMs: 10_000,
          });
          local.respond(model, { text: 'a b c d e f g h i j k l m n o p' });
          const stream = router.stream({ tenant: 't', messages: hello, timeoutMs: 5000 });
          for await (const part of stream) if (part.type === 'text') break;
          outcome = await rejection(stream.result);
          await vi.waitFor(() => expect(local.requests[0]?.clientClosed).toBe(true));
          expect(audits).toMatchObject([{ outcome: 'failed', errorCode: 'aborted', stream: true }]);
        },
        { perTokenMs: 20 },
      );
      expect(outcome).toMatchObject({ code: 'aborted' });
      expect([local.hits(model), local.hits(fallbackModel)]).toEqual([1, 0]);
      expect(after).toBe(before);
    },
  );

  it.each(PROVIDERS)(
    '$provider: after a stream cut mid-answer',
    async ({ model, fallbackModel, firstTextEvent }) => {
      const { before, after, local } = await timersAround(async (local) => {
        const { router } = chainRouter([model, fallbackModel], {
          providers: local.providers,
          attemptTimeoutMs: 10_000,
        });
        local.respond(model, { text: 'alpha beta gamma delta epsilon' });
        local.fail(model, { cutAfter: firstTextEvent + 2 });
        const stream = router.stream({ tenant: 't', messages: hello, timeoutMs: 5000 });
        await drain(stream);
        expect((await rejection(stream.result)).code).toBe('providers_exhausted');
      });
      expect(local.hits()).toBe(1);
      expect(after).toBe(before);
    },
  );
});
