import { createRouter, type RouterConfig, RouterError, type TenantPolicy } from 'routeplane';
import { createEmulator, type Emulator } from 'routeplane/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let emu: Emulator;
beforeAll(async () => {
  emu = await createEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

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

describe('a model pattern with [ or {', () => {
  it.each(['gpt-6.[12]-*', 'claude-{opus,sonnet}-5-5'])('is refused, not taken literally: %s', (pattern) => {
    const error = acme({ allowedModels: ['gpt-6-luna', pattern] });
    expect(error.message).toContain(`tenants.acme.allowedModels[1]: '${pattern}'`);
    expect(error.message).toContain('only * and ? are wildcards');
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
