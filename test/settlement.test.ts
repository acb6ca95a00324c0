import { createMemoryStore, createRouter, type Store } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { toNano } from '../src/store/types.js';
import { collect, drain, textOf, useEmulator, useRouters, waitFor } from './support/harness.js';

const emu = useEmulator();
const routers = useRouters();

const ask = [{ role: 'user' as const, content: 'x' }];
const meter = { inputPerMTok: 1, outputPerMTok: 10 };
const models = [{ id: 'meter', provider: 'openai', model: 'meter-up', quality: 0.7, pricing: meter }];
const usage = { inputTokens: 10, outputTokens: 80 };
const cost = (usage.inputTokens * meter.inputPerMTok + usage.outputTokens * meter.outputPerMTok) / 1e6;
const fast = { minDelayMs: 10, maxDelayMs: 50, retries: 10, closeWaitMs: 1_000 };

/**
 * A memory store whose `settle` and `rateAdjust` fail their next `failures` calls. With
 * `applyThenFail`, a failing settle applies first (a timeout after Redis ran it).
 */
function flakyStore(failures: number, options: { applyThenFail?: boolean } = {}) {
  const inner = createMemoryStore();
  const state = { settleFailures: failures, adjustFailures: failures, settles: 0 };
  const store: Store = {
    ...inner,
    async settle(lines, lease, actual, now) {
      state.settles++;
      if (state.settleFailures > 0) {
        state.settleFailures--;
        if (options.applyThenFail) await inner.settle(lines, lease, actual, now);
        throw new Error('store down (sk-proj-abcdefghijklmnopqrstuvwxyz0123456789)');
      }
      return inner.settle(lines, lease, actual, now);
    },
    async rateAdjust(key, delta, limit, windowMs, now) {
      if (state.adjustFailures > 0) {
        state.adjustFailures--;
        throw new Error('store down');
      }
      return inner.rateAdjust(key, delta, limit, windowMs, now);
    },
  };
  return { store, state };
}

function routerOn(store: Store, tenants: Parameters<typeof createRouter>[0]['tenants']) {
  const router = createRouter({ providers: emu.providers, models, tenants, store, settleRetry: fast });
  routers.push(router);
  return { router, audits: collect(router, 'audit'), storeErrors: collect(router, 'store.error') };
}

const budgeted = { acme: { model: 'meter', budget: { limitUsd: 10, period: 'day' as const } } };

describe('settlement never loses an answer', () => {
  it('complete: the answer is returned when the budget settle fails, audited unsettled, and settled by a retry', async () => {
    emu.respond('meter-up', { text: 'kept', usage });
    const { store, state } = flakyStore(2);
    const { router, audits, storeErrors } = routerOn(store, budgeted);

    const result = await router.complete({ tenant: 'acme', maxTokens: 100, messages: ask });
    expect(result.text).toBe('kept');
    expect(result.costUsd).toBeCloseTo(cost, 12);

    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ outcome: 'success', costUsd: result.costUsd, settled: false });
    expect(storeErrors[0]).toMatchObject({
      tenant: 'acme',
      requestId: result.id,
      failOpen: false,
      unsettled: { kind: 'budget', amountUsd: result.costUsd, attempts: 1, gaveUp: false },
    });
    expect(storeErrors[0]!.unsettled!.key).toMatch(/^budget:\{acme\}:tenant:/);
    expect(JSON.stringify(storeErrors)).not.toContain('sk-proj-');

    // Retried in the background until it applies: the counters equal the audit, once.
    await waitFor(async () => (await router.usage('acme')).requests === 1, { what: 'the retry' });
    const spent = await router.usage('acme');
    expect(toNano(spent.spentUsd)).toBe(toNano(audits[0]!.costUsd));
    expect(spent.reservedUsd).toBe(0);
    expect(state.settles).toBe(3);
    expect(storeErrors.length).toBe(2);
  });

  it('a retry that applies emits the budget thresholds it crossed', async () => {
    emu.respond('meter-up', { text: 'ok', usage });
    const { store } = flakyStore(1);
    const { router } = routerOn(store, {
      acme: { model: 'meter', budget: { limitUsd: 0.002, period: 'day', alertAt: [0.25] } },
    });
    const thresholds = collect(router, 'budget.threshold');
    const result = await router.complete({ tenant: 'acme', maxTokens: 100, messages: ask });
    expect(thresholds).toHaveLength(0);
    await waitFor(() => thresholds.length === 1, { what: 'the threshold' });
    expect(thresholds[0]).toMatchObject({ requestId: result.id, tenant: 'acme', threshold: 0.25 });
  });

  it('a settle that applied but failed (a timeout) is not counted twice when retried', async () => {
    emu.respond('meter-up', { text: 'once', usage });
    const { store, state } = flakyStore(1, { applyThenFail: true });
    const { router, audits } = routerOn(store, budgeted);

    await router.complete({ tenant: 'acme', maxTokens: 100, messages: ask });
    await waitFor(() => state.settles >= 2, { what: 'the retry' });
    const read = await router.usage('acme');
    expect(read.requests).toBe(1);
    expect(toNano(read.spentUsd)).toBe(toNano(audits[0]!.costUsd));
  });

  it('stream: the answer streams to its end when the settle fails', async () => {
    emu.respond('meter-up', { text: 'streamed', usage });
    const { store } = flakyStore(1);
    const { router, audits, storeErrors } = routerOn(store, budgeted);

    const stream = router.stream({ tenant: 'acme', maxTokens: 100, messages: ask });
    const { parts, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(textOf(parts)).toBe('streamed');
    const result = await stream.result;
    expect(result.costUsd).toBeCloseTo(cost, 12);
    expect(audits[0]).toMatchObject({ outcome: 'success', settled: false, costUsd: result.costUsd });
    expect(storeErrors.some((e) => e.unsettled?.kind === 'budget')).toBe(true);
    await waitFor(async () => (await router.usage('acme')).requests === 1, { what: 'the retry' });
  });

  it('a stream cut after its first part keeps its provider error, and its charge is journaled', async () => {
    emu.respond('meter-up', { text: 'a long answer in many parts', usage });
    emu.fail('meter-up', { cutAfter: 2 });
    const { store } = flakyStore(1);
    const { router, audits, storeErrors } = routerOn(store, budgeted);

    const stream = router.stream({ tenant: 'acme', maxTokens: 100, messages: ask });
    const { error } = await drain(stream);
    expect(error).toBeDefined();
    expect((error as { code?: string }).code).not.toBe('store_unavailable');
    expect(audits[0]).toMatchObject({ outcome: 'failed', settled: false });
    expect(audits[0]!.costUsd).toBeGreaterThan(0);
    expect(storeErrors[0]).toMatchObject({ unsettled: { kind: 'budget', amountUsd: audits[0]!.costUsd } });
    await waitFor(async () => (await router.usage('acme')).requests === 1, { what: 'the retry' });
    expect(toNano((await router.usage('acme')).spentUsd)).toBe(toNano(audits[0]!.costUsd));
  });

  it('a rate-limit settle that fails does not fail the call either', async () => {
    emu.respond('meter-up', { text: 'ok', usage });
    const { store } = flakyStore(1);
    const { router, audits, storeErrors } = routerOn(store, {
      acme: { model: 'meter', rateLimit: { tokensPerMinute: 100_000 } },
    });
    // Budget settle fails once too (no budget: usage still counted); the rate adjust fails once.
    const result = await router.complete({ tenant: 'acme', maxTokens: 100, messages: ask });
    expect(result.text).toBe('ok');
    expect(audits[0]).toMatchObject({ outcome: 'success', settled: false });
    expect(storeErrors.some((e) => e.unsettled?.kind === 'rateLimit' && e.unsettled.tokens! < 0)).toBe(true);
  });

  it('a call settled at once has no settled field', async () => {
    emu.respond('meter-up', { text: 'ok', usage });
    const { router, audits, storeErrors } = routerOn(createMemoryStore(), budgeted);
    await router.complete({ tenant: 'acme', maxTokens: 100, messages: ask });
    expect(audits[0]!.settled).toBeUndefined();
    expect(storeErrors).toHaveLength(0);
  });

  it('close() retries what is pending, then reports what it gives up', async () => {
    emu.respond('meter-up', { text: 'ok', usage });
    const { store } = flakyStore(1_000);
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: budgeted,
      store,
      settleRetry: { minDelayMs: 60_000, maxDelayMs: 60_000, retries: 10, closeWaitMs: 100 },
    });
    const storeErrors = collect(router, 'store.error');
    await router.complete({ tenant: 'acme', maxTokens: 100, messages: ask });
    const started = Date.now();
    await router.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(storeErrors.at(-1)).toMatchObject({ unsettled: { kind: 'budget', gaveUp: true } });
  });
});
