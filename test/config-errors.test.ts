import Anthropic from '@anthropic-ai/sdk';
import { Mistral } from '@mistralai/mistralai';
import OpenAI from 'openai';
import { createRouter, type RouterConfig, RouterError, type TenantPolicy } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { useEmulator } from './support/harness.js';

const emu = useEmulator();

const hello = [{ role: 'user' as const, content: 'Hello' }];
const pricing = { inputPerMTok: 1, outputPerMTok: 2 };

/** The RouterError `run` throws; fails the test if it throws nothing or something else. */
function thrown(run: () => unknown): RouterError {
  try {
    run();
  } catch (error) {
    if (RouterError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a RouterError');
}

/** The `invalid_config` error of createRouter with these options (the emulator's providers unless given). */
function configError(options: Partial<RouterConfig>): RouterError {
  const error = thrown(() => createRouter({ providers: emu.providers, ...options }));
  expect(error.code).toBe('invalid_config');
  return error;
}

const acme = (policy: TenantPolicy) => configError({ tenants: { acme: policy } });

describe('a model a policy names that is in no catalog', () => {
  it.each<[string, TenantPolicy, string]>([
    ['allowedModels', { allowedModels: ['gpt-6.1-terra', 'claude-sonet-5-5'] }, 'allowedModels[1]'],
    ['deniedModels', { deniedModels: ['claude-sonet-5-5'] }, 'deniedModels[0]'],
    [
      'roles',
      { roles: { viewer: { allowedModels: ['claude-sonet-5-5'] } } },
      'roles.viewer.allowedModels[0]',
    ],
    ['fallbacks', { fallbacks: ['gpt-6-luna', 'claude-sonet-5-5'] }, 'fallbacks[1]'],
    ['split', { split: [{ model: 'claude-sonet-5-5', weight: 1 }] }, 'split[0].model'],
    ['model', { model: 'claude-sonet-5-5' }, 'model'],
  ])('is refused in %s, naming the path, the value and the closest id', (_, policy, path) => {
    const error = acme(policy);
    expect(error.message).toContain(`tenants.acme.${path} 'claude-sonet-5-5' is not in the model catalog`);
    expect(error.message).toContain("did you mean 'claude-sonnet-5-5'?");
  });

  it('is refused without a suggestion when nothing is close', () => {
    const error = acme({ allowedModels: ['llama-4-maverick'] });
    expect(error.message).toContain(
      "tenants.acme.allowedModels[0] 'llama-4-maverick' is not in the model catalog",
    );
    expect(error.message).not.toContain('did you mean');
  });

  it("is accepted from the router's models and from the policy's own models", () => {
    const router = createRouter({
      providers: emu.providers,
      models: [{ id: 'house-model', provider: 'openai', pricing }],
      tenants: {
        acme: {
          allowedModels: ['house-model', 'acme-ft'],
          fallbacks: ['acme-ft'],
          models: [{ id: 'acme-ft', provider: 'openai', pricing }],
        },
      },
    });
    expect(() => router.tenants.set('globex', { allowedModels: ['acme-ft'] })).toThrow(
      "tenants.globex.allowedModels[0] 'acme-ft' is not in the model catalog",
    );
  });

  it('is refused in defaults and tiers, under their own paths', () => {
    expect(configError({ defaults: { deniedModels: ['gpt-6.2-astro'] } }).message).toContain(
      "defaults.deniedModels[0] 'gpt-6.2-astro' is not in the model catalog, so it denies nothing: did you mean 'gpt-6.2-astra'?",
    );
    expect(configError({ tiers: { free: { allowedModels: ['mistral-smal-latest'] } } }).message).toContain(
      "tiers.free.allowedModels[0] 'mistral-smal-latest' is not in the model catalog: did you mean 'mistral-small-latest'?",
    );
  });
});

describe('a model of a provider entry that is not configured', () => {
  it('is refused saying which entry is missing and which are configured', () => {
    const error = configError({
      providers: { openai: emu.providers.openai },
      tenants: { acme: { model: 'claude-sonnet-5-5' } },
    });
    expect(error.message).toContain(
      "tenants.acme.model 'claude-sonnet-5-5' is served by provider entry 'anthropic', which is not configured (configured: openai)",
    );
    expect(error.message).not.toContain('not in the model catalog');
  });

  it('is refused for a glob that matches only such models', () => {
    const error = configError({
      providers: { openai: emu.providers.openai },
      tenants: { acme: { allowedModels: ['claude-*'] } },
    });
    expect(error.message).toContain(
      "tenants.acme.allowedModels[0] 'claude-*' matches only models of provider entries that are not configured (anthropic; configured: openai)",
    );
  });

  it('may still be denied, so one deny list serves routers with different providers', () => {
    expect(() =>
      createRouter({
        providers: { openai: emu.providers.openai },
        defaults: { deniedModels: ['claude-opus-5-5', 'claude-opus-*'] },
      }),
    ).not.toThrow();
  });
});

describe('a glob that matches no model', () => {
  it('is refused in an allow list, naming the nearest model', () => {
    const error = acme({ allowedModels: ['gtp-6*'] });
    expect(error.message).toContain("tenants.acme.allowedModels[0] 'gtp-6*' matches no model");
    expect(error.message).toMatch(/nearest is 'gpt-6/);
  });

  it('is refused in a deny list too: a deny pattern that matches nothing denies nothing', () => {
    const error = acme({ deniedModels: ['*-nano'] });
    expect(error.message).toContain(
      "tenants.acme.deniedModels[0] '*-nano' matches no model, so it denies nothing",
    );
  });

  it('is refused in a role list', () => {
    expect(acme({ roles: { viewer: { allowedModels: ['mistral-tiny-*'] } } }).message).toContain(
      "tenants.acme.roles.viewer.allowedModels[0] 'mistral-tiny-*' matches no model",
    );
  });

  it("is accepted when it matches one of the tenant's own models", () => {
    const models = [{ id: 'acme-ft-1', provider: 'openai', pricing }];
    const router = createRouter({
      providers: emu.providers,
      tenants: { acme: { models, allowedModels: ['acme-ft-*'], deniedModels: ['acme-ft-?'] } },
    });
    expect(() => router.tenants.set('globex', { allowedModels: ['acme-ft-*'] })).toThrow(
      "tenants.globex.allowedModels[0] 'acme-ft-*' matches no model",
    );
  });

  it('is accepted when it comes from a tier the tenant inherits models from', async () => {
    const router = createRouter({
      providers: emu.providers,
      tiers: { lab: { models: [{ id: 'lab-model', provider: 'openai', pricing }] } },
      tenants: { acme: { tier: 'lab', allowedModels: ['lab-*'] } },
    });
    expect((await router.explain({ tenant: 'acme', messages: hello })).chosen).toBe('lab-model');
  });
});

describe('a model pattern with [ or {', () => {
  it.each(['gpt-6.[12]-*', 'claude-{opus,sonnet}-5-5'])('is refused, not taken literally: %s', (pattern) => {
    const error = acme({ allowedModels: ['gpt-6-luna', pattern] });
    expect(error.message).toContain(`tenants.acme.allowedModels[1]: '${pattern}'`);
    expect(error.message).toContain('only * and ? are wildcards');
  });
});

describe('an allowedRegions entry no model serves', () => {
  it('is refused, naming the regions served and the closest', () => {
    const error = acme({ allowedRegions: ['us', 'EU'] });
    expect(error.message).toContain(
      "tenants.acme.allowedRegions[1] 'EU' is not a region any model is served from (served: eu, us): did you mean 'eu'?",
    );
  });

  it('is refused when only models of unconfigured provider entries serve it', () => {
    const error = configError({
      providers: { openai: emu.providers.openai },
      tenants: { acme: { allowedRegions: ['eu'] } },
    });
    expect(error.message).toContain(
      "tenants.acme.allowedRegions[0] 'eu' is served only by models of provider entries that are not configured (mistral; configured: openai)",
    );
  });

  it("is accepted when the tenant's own model is served there", () => {
    expect(() =>
      createRouter({
        providers: emu.providers,
        tenants: {
          acme: {
            allowedRegions: ['apac'],
            models: [{ id: 'apac-llm', provider: 'openai', region: 'apac', pricing }],
          },
        },
      }),
    ).not.toThrow();
  });
});

describe('a tier that does not exist', () => {
  it('is refused, with the configured tiers and the closest', () => {
    const error = configError({
      tiers: { enterprise: { strategy: 'max_reliability' }, free: {} },
      tenants: { acme: { tier: 'enterprse' } },
    });
    expect(error.message).toContain(
      "tenants.acme.tier 'enterprse' is not a configured tier (tiers: enterprise, free): did you mean 'enterprise'?",
    );
  });

  it('is refused when the router has no tiers, in defaults and in tenants.set', () => {
    expect(configError({ defaults: { tier: 'free' } }).message).toContain(
      "defaults.tier 'free' is not a configured tier: createRouter({ tiers }) defines none",
    );
    const router = createRouter({ providers: emu.providers, tiers: { free: {} } });
    const error = thrown(() => router.tenants.set('acme', { tier: 'gold' }));
    expect(error.code).toBe('invalid_config');
    expect(error.message).toContain("tenants.acme.tier 'gold' is not a configured tier (tiers: free)");
  });

  it('is refused inside a tier: tiers do not nest', () => {
    expect(configError({ tiers: { free: { tier: 'free' } } }).message).toContain(
      'tiers.free.tier: a tier cannot name a tier',
    );
  });
});

describe('a provider client that is not the SDK client', () => {
  it.each([
    ['mistral', 'chat.complete()'],
    ['openai', 'chat.completions.create()'],
    ['anthropic', 'messages.create()'],
  ])('is refused for %s, saying what is expected', (name, method) => {
    const error = configError({ providers: { [name]: { client: {} } } });
    expect(error.message).toContain(`providers.${name}.client`);
    expect(error.message).toContain(method);
  });

  it("is not refused when it is the SDK's own client", async () => {
    const router = createRouter({
      providers: {
        openai: { client: new OpenAI({ apiKey: 'sk-test', baseURL: emu.providers.openai.baseURL }) },
        anthropic: { client: new Anthropic({ apiKey: 'sk-test', baseURL: emu.providers.anthropic.baseURL }) },
        mistral: { client: new Mistral({ apiKey: 'sk-test', serverURL: emu.providers.mistral.baseURL }) },
      },
      tenants: { acme: { model: 'mistral-small-latest', fallbacks: ['gpt-6-luna', 'claude-haiku-5-5'] } },
    });
    expect((await router.complete({ tenant: 'acme', messages: hello })).model).toBe('mistral-small-latest');
  });

  it('is refused for an openai-compatible entry too', () => {
    const error = configError({ providers: { vllm: { type: 'openai-compatible', client: { chat: {} } } } });
    expect(error.message).toContain('providers.vllm.client is not an OpenAI client');
  });
});

describe('policies given to createRouter', () => {
  it('get the same precise message as tenants.set, not a bare "tenants: Invalid input"', () => {
    const bad = { allowedModels: 'gpt-6-luna' } as unknown as TenantPolicy;
    const atCreate = configError({ tenants: { acme: bad } });
    expect(atCreate.message).toContain(
      'tenants.acme.allowedModels: Invalid input: expected array, received string',
    );
    expect(atCreate.message).not.toContain('tenants: Invalid input');
    const router = createRouter({ providers: emu.providers });
    const atSet = thrown(() => router.tenants.set('acme', bad));
    expect(atSet.code).toBe('invalid_config');
    expect(atSet.message).toContain('tenants.acme.allowedModels');
    expect(atCreate.message.split('tenants.acme.allowedModels')[1]).toBe(
      atSet.message.split('tenants.acme.allowedModels')[1],
    );
  });

  it('name array items by index', () => {
    expect(acme({ fallbacks: ['gpt-6-luna', ''] }).message).toContain('tenants.acme.fallbacks[1]:');
  });
});

describe('router.tenants.set', () => {
  it('refuses a mistake and keeps the policy in force', async () => {
    const router = createRouter({ providers: emu.providers, tenants: { acme: { model: 'gpt-6-luna' } } });
    const error = thrown(() => router.tenants.set('acme', { allowedModels: ['claude-sonet-5-5'] }));
    expect(error.code).toBe('invalid_config');
    expect(error.message).toContain(
      "tenants.acme.allowedModels[0] 'claude-sonet-5-5' is not in the model catalog: did you mean 'claude-sonnet-5-5'?",
    );
    expect(await router.tenants.get('acme')).toEqual({ model: 'gpt-6-luna' });
  });
});

describe('a policy from an async tenant source', () => {
  it('that is wrong fails the call, naming the tenant and the field', async () => {
    const router = createRouter({
      providers: emu.providers,
      tenants: {
        get: async (id: string) => (id === 'acme' ? { allowedModels: ['claude-sonet-5-5'] } : undefined),
      },
    });
    const error = await router.complete({ tenant: 'acme', messages: hello }).then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => e as RouterError,
    );
    expect(error.code).toBe('invalid_config');
    expect(error.tenant).toBe('acme');
    expect(error.message).toContain(
      "tenant 'acme' policy from the tenant source is invalid: tenants.acme.allowedModels[0] 'claude-sonet-5-5' is not in the model catalog",
    );
    expect(emu.requests).toHaveLength(0);
  });
});
