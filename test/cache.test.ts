import { type ChatRequest, createRouter } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { collect, useEmulator } from './support/harness.js';

const emu = useEmulator();

const models = [
  {
    id: 'm',
    provider: 'openai',
    model: 'm-up',
    quality: 0.9,
    pricing: { inputPerMTok: 1, outputPerMTok: 10 },
    capabilities: ['tools' as const, 'json' as const],
  },
  {
    id: 'n',
    provider: 'mistral',
    model: 'n-up',
    quality: 0.5,
    pricing: { inputPerMTok: 1, outputPerMTok: 10 },
  },
];

function setup(extra: { clock?: () => number; ttlMs?: number } = {}) {
  const router = createRouter({
    providers: emu.providers,
    models,
    ...(extra.clock && { clock: extra.clock }),
    tenants: {
      a: { model: 'm', cache: { ttlMs: extra.ttlMs ?? 60_000 } },
      b: { model: 'm', cache: { ttlMs: 60_000 } },
      off: { model: 'm' },
    },
  });
  return { router, hits: collect(router, 'cache.hit') };
}

const ask = (tenant: string, content = 'hello there', more: Partial<ChatRequest> = {}): ChatRequest => ({
  tenant,
  messages: [{ role: 'user', content }],
  ...more,
});

let n = 0;
const numbered = () => ({ text: `answer number ${++n}` });

describe('exact-match cache', () => {
  it('a hit costs nothing, calls no provider and emits cache.hit with what it saved', async () => {
    emu.respond('*', numbered);
    const { router, hits } = setup();
    const first = await router.complete(ask('a'));
    expect(first.cached).toBe(false);
    expect(first.costUsd).toBeGreaterThan(0);
    const calls = emu.hits();
    const completed = collect(router, 'request.completed');
    const second = await router.complete(ask('a'));
    expect(emu.hits()).toBe(calls);
    expect(second).toMatchObject({
      cached: true,
      costUsd: 0,
      text: first.text,
      model: 'm',
      provider: 'openai',
      finishReason: 'stop',
      usage: first.usage,
    });
    expect(hits).toEqual([
      expect.objectContaining({ tenant: 'a', model: 'm', provider: 'openai', savedUsd: first.costUsd }),
    ]);
    expect(completed[0]).toMatchObject({ cached: true, costUsd: 0 });
  });

  it('never serves another tenant, another parameter set or a tenant without a cache', async () => {
    emu.respond('*', numbered);
    const { router } = setup();
    const base = await router.complete(ask('a'));
    for (const req of [
      ask('b'),
      ask('off'),
      ask('a', 'hello there!'),
      ask('a', 'hello there', { temperature: 0.2 }),
      ask('a', 'hello there', { maxTokens: 50 }),
      ask('a', 'hello there', { user: 'u1' }),
      ask('a', 'hello there', { role: 'viewer' }),
      ask('a', 'hello there', { responseFormat: { type: 'json' } }),
      ask('a', 'hello there', { forceModel: 'n' }),
    ]) {
      const r = await router.complete(req);
      expect(r.cached, JSON.stringify(req)).toBe(false);
      expect(r.text).not.toBe(base.text);
    }
    expect((await router.complete(ask('off'))).cached).toBe(false);
  });

  it('a policy change invalidates the tenant’s entries', async () => {
    emu.respond('*', numbered);
    const { router } = setup();
    await router.complete(ask('a'));
    expect((await router.complete(ask('a'))).cached).toBe(true);
    router.tenants.set('a', { model: 'm', cache: { ttlMs: 60_000 }, systemPrompt: 'be brief' });
    expect((await router.complete(ask('a'))).cached).toBe(false);
    expect((await router.complete(ask('a'))).cached).toBe(true);
  });

  it('replays a cached answer as a stream, and caches a streamed answer', async () => {
    emu.respond('*', numbered);
    const { router, hits } = setup();
    const live = router.stream(ask('a'));
    const liveParts = [];
    for await (const part of live) liveParts.push(part);
    const first = await live.result;
    expect(first.cached).toBe(false);
    const calls = emu.hits();

    const replay = router.stream(ask('a'));
    const texts: string[] = [];
    let finish: unknown;
    for await (const part of replay) {
      if (part.type === 'text') texts.push(part.text);
      if (part.type === 'finish') finish = part;
    }
    expect(texts.length).toBeGreaterThan(1); // word by word
    expect(texts.join('')).toBe(first.text);
    expect(finish).toEqual({ type: 'finish', finishReason: 'stop', usage: first.usage });
    const result = await replay.result;
    expect(result).toMatchObject({ cached: true, costUsd: 0, text: first.text, model: 'm' });
    expect(result.ttftMs).toBeGreaterThanOrEqual(0);
    expect(emu.hits()).toBe(calls);
    // The streamed answer also serves complete().
    expect(await router.complete(ask('a'))).toMatchObject({ cached: true, text: first.text });
    expect(hits).toHaveLength(2);
  });

  it('caches and replays tool-call answers, in both modes', async () => {
    emu.respond('*', { toolCalls: [{ id: 'c1', name: 'lookup', arguments: { q: 'x', n: 2 } }] });
    const { router } = setup();
    const tools = [{ name: 'lookup', parameters: { type: 'object', properties: {} } }];
    const req = ask('a', 'look it up', { tools });
    const first = await router.complete(req);
    expect(first.finishReason).toBe('tool_calls');
    const calls = emu.hits();
    const again = await router.complete(req);
    expect(again).toMatchObject({ cached: true, finishReason: 'tool_calls', message: first.message });
    const stream = router.stream(req);
    const toolParts = [];
    for await (const part of stream) if (part.type === 'tool-call') toolParts.push(part.toolCall);
    expect(toolParts).toEqual(first.message.toolCalls);
    expect((await stream.result).cached).toBe(true);
    expect(emu.hits()).toBe(calls);
  });

  it('keeps only complete, successful answers', async () => {
    emu.respond('*', { text: 'cut short', finishReason: 'length' });
    const { router } = setup();
    await router.complete(ask('a'));
    expect((await router.complete(ask('a'))).cached).toBe(false);
    // A stream whose consumer stops early is not kept.
    emu.respond('*', { text: 'one two three four' });
    const partial = router.stream(ask('a', 'early'));
    for await (const _ of partial) break;
    await partial.result.catch(() => {});
    expect((await router.complete(ask('a', 'early'))).cached).toBe(false);
    // A failed call is not kept, and the next one calls the provider.
    emu.fail('*', { status: 400 });
    await expect(router.complete(ask('a', 'fails'))).rejects.toThrow();
    expect((await router.complete(ask('a', 'fails'))).cached).toBe(false);
  });

  it('expires entries after the tenant’s ttlMs, on the router’s clock', async () => {
    emu.respond('*', numbered);
    let now = 1_000_000;
    const { router } = setup({ clock: () => now, ttlMs: 5_000 });
    await router.complete(ask('a'));
    now += 4_999;
    expect((await router.complete(ask('a'))).cached).toBe(true);
    now += 2;
    expect((await router.complete(ask('a'))).cached).toBe(false);
    expect((await router.complete(ask('a'))).cached).toBe(true);
  });

  it('is a miss when the model that made the answer is no longer eligible', async () => {
    emu.respond('*', numbered);
    let drop: string | undefined;
    const router = createRouter({
      providers: emu.providers,
      models,
      tenants: { c: { strategy: 'lowest_cost', cache: { ttlMs: 60_000 } } },
      middleware: [
        {
          before: 'cache',
          // Reaches past the middleware contract into the router's own context, as only a test should.
          handle: (ctx, next) => {
            const internal = ctx as unknown as { eligible: { id: string }[] };
            internal.eligible = internal.eligible.filter((m) => m.id !== drop);
            return next();
          },
        },
      ],
    });
    const first = await router.complete(ask('c'));
    expect((await router.complete(ask('c'))).cached).toBe(true);
    drop = first.model;
    const after = await router.complete(ask('c'));
    expect(after.cached).toBe(false);
    expect(after.model).not.toBe(first.model);
  });

  it('explain() skips the cache', async () => {
    emu.respond('*', numbered);
    const { router, hits } = setup();
    await router.complete(ask('a'));
    const decision = await router.explain(ask('a'));
    expect(decision.chosen).toBe('m');
    expect(hits).toHaveLength(0);
  });
});
