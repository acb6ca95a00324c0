import { createRouter } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { useEmulator, useRouters } from './support/harness.js';

/*
 * Regional endpoints of the direct APIs need no provider type of their own: a second entry of
 * the same type with the regional `baseURL`, and `region` on the models it serves.
 * OpenAI's EU data residency: https://eu.api.openai.com/v1 (a project created with EU
 * residency, its own key). Mistral's regional inference: https://api.eu.mistral.ai
 * (api.us.mistral.ai announced, not yet available).
 */

const emu = useEmulator();
const routers = useRouters();
const pricing = { inputPerMTok: 1, outputPerMTok: 2 };
const hello = [{ role: 'user' as const, content: 'Hallo' }];

describe('regional endpoints of the direct APIs', () => {
  it("accepts OpenAI's EU endpoint and Mistral's EU endpoint as baseURL of entries of their types", () => {
    const router = createRouter({
      providers: {
        'openai-eu': { type: 'openai', apiKey: 'sk-proj-eu', baseURL: 'https://eu.api.openai.com/v1' },
        'mistral-eu': { type: 'mistral', apiKey: 'mistral-eu', baseURL: 'https://api.eu.mistral.ai' },
      },
      models: [
        { id: 'gpt-4o-eu', provider: 'openai-eu', model: 'gpt-4o', region: 'eu', pricing },
        {
          id: 'mistral-large-eu',
          provider: 'mistral-eu',
          model: 'mistral-large-latest',
          region: 'eu',
          pricing,
        },
      ],
    });
    routers.push(router);
  });

  it('serves an EU-only tenant from the EU entries and a US tenant from the global ones, offline', async () => {
    const router = createRouter({
      providers: {
        openai: emu.providers.openai,
        'openai-eu': { type: 'openai', ...emu.providers.openai, apiKey: 'emu-openai-eu-key' },
        'mistral-eu': { type: 'mistral', ...emu.providers.mistral, apiKey: 'emu-mistral-eu-key' },
      },
      models: [
        { id: 'gpt-4o-us', provider: 'openai', model: 'gpt-4o', region: 'us', pricing },
        { id: 'gpt-4o-eu', provider: 'openai-eu', model: 'gpt-4o', region: 'eu', pricing },
        {
          id: 'mistral-large-eu',
          provider: 'mistral-eu',
          model: 'mistral-large-latest',
          region: 'eu',
          pricing,
        },
      ],
      tenants: {
        eu: { allowedModels: ['gpt-4o-us', 'gpt-4o-eu'], allowedRegions: ['eu'] },
        euMistral: { model: 'mistral-large-eu', allowedRegions: ['eu'] },
        us: { model: 'gpt-4o-us' },
      },
    });
    routers.push(router);
    const eu = await router.complete({ tenant: 'eu', messages: hello });
    const euMistral = await router.complete({ tenant: 'euMistral', messages: hello });
    const us = await router.complete({ tenant: 'us', messages: hello });
    expect([eu.model, eu.provider]).toEqual(['gpt-4o-eu', 'openai-eu']);
    expect([euMistral.model, euMistral.provider]).toEqual(['mistral-large-eu', 'mistral-eu']);
    expect([us.model, us.provider]).toEqual(['gpt-4o-us', 'openai']);
    expect(emu.requests.map((r) => r.apiKey)).toEqual([
      'emu-openai-eu-key',
      'emu-mistral-eu-key',
      'emu-openai-key',
    ]);
  });
});
