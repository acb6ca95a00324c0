/**
 * The cancellation matrix: {complete, stream} × {openai, anthropic, mistral} × {consumer
 * break, abort, deadline, hedge loss} × {before the first part, mid-stream}. After every
 * case: the upstream connection is closed (the emulator sees it), no timer is left, the
 * reservation is released, and the spend equals the sum of the audit costs. Garbage is
 * collected between parts (`--expose-gc`, see vitest.config.ts): an SDK that keeps its
 * abort only in a weakly held object must not lose it.
 */
import { type AuditRecord, createRouter, type Router, RouterError } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { collect, useEmulator, waitFor } from './support/harness.js';

const PROVIDERS = {
  openai: { first: 'gpt-6.2-sol', hedge: 'gpt-6-luna' },
  anthropic: { first: 'claude-sonnet-5-5', hedge: 'claude-haiku-5-5' },
  mistral: { first: 'mistral-small-latest', hedge: 'mistral-large-latest' },
} as const;
type Provider = keyof typeof PROVIDERS;
type How = 'break' | 'abort' | 'deadline' | 'hedge';
type When = 'before' | 'mid';

const LONG = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => {});

const emu = useEmulator({ perTokenMs: 15 });

function routerFor(provider: Provider, how: How): { router: Router; audits: AuditRecord[] } {
  const { first, hedge } = PROVIDERS[provider];
  const router = createRouter({
    providers: emu.providers,
    tenants: {
      acme:
        how === 'hedge'
          ? {
              strategy: 'max_reliability',
              allowedModels: [first, hedge],
              hedgeAfterMs: 40,
              budget: { limitUsd: 100, period: 'day' },
            }
          : { model: first, budget: { limitUsd: 100, period: 'day' } },
    },
    retry: { retries: 0 },
  });
  return { router, audits: collect(router, 'audit') };
}

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** Resolves once the emulator has received the call's first request. */
function sentUpstream(): Promise<void> {
  return waitFor(() => emu.requests.length > 0, { what: 'the request reached the emulator' });
}

/** Runs one case; resolves with the call's error code (or 'ok' for a hedge that lost). */
async function run(mode: 'complete' | 'stream', provider: Provider, how: How, when: When): Promise<string> {
  const { router, audits } = routerFor(provider, how);
  await router.ready();
  const { first } = PROVIDERS[provider];
  // Before the first part: the first candidate sends nothing for a long while.
  if (when === 'before') emu.fail(first, { hangMs: 3_000 });
  emu.respond(first, { text: LONG });
  const baseline = timers();
  const controller = new AbortController();
  const request = {
    tenant: 'acme',
    messages: [{ role: 'user' as const, content: 'Tell me a long story.' }],
    ...(how === 'abort' && { signal: controller.signal }),
    // Long enough for the request to reach the emulator on a loaded machine, well before the
    // first part (3 s away) or the end of the stream (60 tokens of 15 ms).
    ...(how === 'deadline' && { timeoutMs: when === 'before' ? 400 : 450 }),
  };
  let outcome = 'ok';
  try {
    if (mode === 'complete') {
      if (how === 'abort') void sentUpstream().then(() => controller.abort());
      await router.complete(request);
    } else {
      const stream = router.stream(request);
      const iterator = stream[Symbol.asyncIterator]();
      if (how === 'abort' && when === 'before') void sentUpstream().then(() => controller.abort());
      if (how === 'break' && when === 'before') void sentUpstream().then(() => iterator.return?.());
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        collectGarbage();
        if (next.value.type !== 'text') continue;
        if (how === 'break') {
          await iterator.return?.();
          break;
        }
        if (how === 'abort') controller.abort();
      }
      await stream.result;
    }
  } catch (error) {
    outcome = RouterError.isInstance(error) ? error.code : String(error);
  }

  // The cancelled upstream request's connection is closed.
  const cancelled = emu.requests.find((r) => r.model === first);
  expect(cancelled, 'the first candidate was called').toBeDefined();
  await waitFor(() => cancelled!.clientClosed, { what: 'upstream connection closed' });
  expect(cancelled!.answered).toBe(false);
  // No timer outlives the call, the reservation is released, and the books agree.
  await waitFor(() => timers() <= baseline, { what: 'no timer left' });
  const usage = await router.usage('acme');
  expect(usage.reservedUsd).toBe(0);
  await waitFor(() => audits.length === 1, { what: 'one audit record' });
  expect(usage.spentUsd).toBeCloseTo(audits[0]!.costUsd, 9);
  await router.close();
  return outcome;
}

const EXPECTED: Record<How, string> = {
  break: 'aborted',
  abort: 'aborted',
  deadline: 'timeout',
  hedge: 'ok',
};

describe.each(Object.keys(PROVIDERS) as Provider[])('cancellation on %s', (provider) => {
  describe('complete()', () => {
    it.each(['abort', 'deadline', 'hedge'] as How[])('%s before the answer', async (how) => {
      expect(await run('complete', provider, how, 'before')).toBe(EXPECTED[how]);
    });
  });

  describe('stream()', () => {
    it.each([
      ['break', 'before'],
      ['break', 'mid'],
      ['abort', 'before'],
      ['abort', 'mid'],
      ['deadline', 'before'],
      ['deadline', 'mid'],
      ['hedge', 'before'],
    ] as [How, When][])('%s, %s the first part', async (how, when) => {
      expect(await run('stream', provider, how, when)).toBe(EXPECTED[how]);
    });
  });
});
