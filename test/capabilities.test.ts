import { createRouter } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { useEmulator } from './support/harness.js';

const emu = useEmulator();

const pricing = { inputPerMTok: 1, outputPerMTok: 2 };
const tools = [{ name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } }];
const image = [
  {
    role: 'user' as const,
    content: [
      { type: 'text' as const, text: 'What is this?' },
      { type: 'image' as const, url: 'https://example.com/a.png' },
    ],
  },
];

describe('model capabilities', () => {
  it('left out do not restrict: a tools call reaches a self-hosted model added without them', async () => {
    const router = createRouter({
      providers: emu.providers,
      models: [{ id: 'house-llm', provider: 'openai', model: 'qwen3-32b', pricing }],
      tenants: { acme: { model: 'house-llm' } },
    });
    const result = await router.complete({
      tenant: 'acme',
      messages: [{ role: 'user', content: 'Look it up' }],
      tools,
    });
    expect(result.model).toBe('house-llm');
    expect(emu.requests[0]!.model).toBe('qwen3-32b');
    expect(emu.requests[0]!.body.tools).toBeDefined();
  });

  it("left out on a tenant's own model do not restrict either", async () => {
    const router = createRouter({
      providers: emu.providers,
      tenants: {
        acme: { model: 'acme-vision', models: [{ id: 'acme-vision', provider: 'openai', pricing }] },
      },
    });
    const decision = await router.explain({
      tenant: 'acme',
      messages: image,
      responseFormat: { type: 'json' },
    });
    expect(decision.chosen).toBe('acme-vision');
  });

  it('declared restrict: a model without the capability is left out with the reason', async () => {
    const router = createRouter({
      providers: emu.providers,
      models: [{ id: 'house-llm', provider: 'openai', pricing, capabilities: ['json'] }],
      tenants: { acme: { allowedModels: ['house-llm', 'gpt-6-luna'] } },
    });
    const decision = await router.explain({ tenant: 'acme', messages: image });
    expect(decision.excluded).toContainEqual({ model: 'house-llm', reason: 'does not support vision' });
    expect(decision.candidates.map((c) => c.model)).toEqual(['gpt-6-luna']);
  });

  it('accept reasoning and embeddings, as the contract lists them', () => {
    expect(() =>
      createRouter({
        providers: emu.providers,
        models: [
          { id: 'thinker', provider: 'openai', pricing, capabilities: ['tools', 'reasoning', 'embeddings'] },
        ],
      }),
    ).not.toThrow();
  });
});
