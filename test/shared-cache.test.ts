import { createMemoryStore, createRouter, type SharedAnswerCache } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { collect, useEmulator, useRouters, waitFor } from './support/harness.js';

const emu = useEmulator();
const routers = useRouters();
const models = [
  {
    id: 'm',
    provider: 'openai',
    model: 'm-up',
    quality: 0.9,
    pricing: { inputPerMTok: 1, outputPerMTok: 10 },
  },
];
const ask = { tenant: 'a', messages: [{ role: 'user' as const, content: 'hello' }] };

function withAnswers(answers: SharedAnswerCache) {
  const router = createRouter({
    providers: emu.providers,
    models,
    tenants: { a: { model: 'm', cache: { ttlMs: 60_000 } } },
    store: { ...createMemoryStore(), answers },
  });
  routers.push(router);
  return { router, storeErrors: collect(router, 'store.error') };
}

describe('a shared answer cache of your own (Store.answers)', () => {
  it('is not awaited on write, and a get that rejects is a miss reported as store.error', async () => {
    emu.respond('*', { text: 'fresh' });
    const writes: string[] = [];
    const { router, storeErrors } = withAnswers({
      get: () => Promise.reject(new Error('kv down')),
      set: (_tenant, _key, value) => {
        writes.push(value);
        return new Promise(() => {}); // never settles: the call must not wait for it
      },
    });
    const result = await router.complete(ask);
    expect(result).toMatchObject({ cached: false, text: 'fresh' });
    expect(writes).toHaveLength(1);
    expect(JSON.parse(writes[0]!)).toMatchObject({ model: 'm', content: 'fresh', finishReason: 'stop' });
    expect(storeErrors).toEqual([
      expect.objectContaining({ failOpen: true, tenant: 'a', message: expect.stringContaining('kv down') }),
    ]);
  });

  it('a set that rejects is reported, never thrown', async () => {
    emu.respond('*', { text: 'fresh' });
    const { router, storeErrors } = withAnswers({
      get: async () => undefined,
      set: () => Promise.reject(new Error('kv full')),
    });
    expect((await router.complete(ask)).cached).toBe(false);
    await waitFor(() => storeErrors.length === 1, { what: 'the failed set reported' });
    expect(storeErrors[0]!.message).toContain('shared answer cache: set failed: kv full');
    // The router's own memory still has it.
    expect((await router.complete(ask)).cached).toBe(true);
  });
});
