import { createRouter, type RouterConfig, RouterError } from 'routeplane';
import { createEmulator, type Emulator } from 'routeplane/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/*
 * Numbers at the edge of what the router accepts: each bound is refused where it enters
 * (invalid_config, invalid_request) with the field and the bound named, never turned into
 * NaN, Infinity or a timer that fires at once.
 */

let emu: Emulator;
beforeAll(async () => {
  emu = await createEmulator();
  // The provider SDKs load once per file; a call waits for them before anything else.
  await createRouter({ providers: emu.providers }).ready();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const MODEL = 'claude-sonnet-5-5';
const hello = [{ role: 'user' as const, content: 'Hello there' }];
const TIMER_MAX = 2 ** 31 - 1;

function configError(config: RouterConfig): RouterError {
  try {
    createRouter(config);
  } catch (error) {
    if (RouterError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected createRouter to throw');
}

async function rejection(promise: Promise<unknown>): Promise<RouterError> {
  try {
    await promise;
  } catch (error) {
    if (RouterError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('money bounds', () => {
  it('refuses a price above 1,000,000 USD per million tokens, naming the field and the bound', () => {
    const pricey = { id: 'pricey', provider: 'openai', pricing: { inputPerMTok: 1e305, outputPerMTok: 1 } };
    const error = configError({ providers: emu.providers, models: [pricey] });
    expect(error.code).toBe('invalid_config');
    expect(error.message).toContain('models[0].pricing.inputPerMTok');
    expect(error.message).toContain('1000000');
    const own = configError({ providers: emu.providers, tenants: { t: { models: [pricey] } } });
    expect(own.message).toContain('tenants.t.models[0].pricing.inputPerMTok');
  });

  it('refuses budget limits and cost caps above 1,000,000,000 USD, in a policy and in a request', async () => {
    const router = createRouter({ providers: emu.providers, tenants: { t: { model: MODEL } } });
    const set = (policy: object) => {
      try {
        router.tenants.set('t', policy);
      } catch (error) {
        return error as RouterError;
      }
      return undefined;
    };
    expect(set({ budget: { limitUsd: 1e10, period: 'day' } })).toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('tenants.t.budget.limitUsd'),
    });
    expect(set({ maxCostPerRequest: 1e300 })?.message).toContain('1000000000');
    expect(set({ tagBudgets: { team: { limitUsd: Number.MAX_VALUE, period: 'month' } } })?.code).toBe(
      'invalid_config',
    );
    expect(set({ budget: { limitUsd: 1e9, period: 'day' } })).toBeUndefined();
    const error = await rejection(router.complete({ tenant: 't', messages: hello, maxCost: 1e12 }));
    expect(error).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('maxCost') });
    expect(emu.hits()).toBe(0);
  });
});

describe('timer bounds', () => {
  it('refuses a call deadline of 2^31 ms or more, which Node would fire at once', async () => {
    const router = createRouter({ providers: emu.providers, tenants: { t: { model: MODEL } } });
    const error = await rejection(router.complete({ tenant: 't', messages: hello, timeoutMs: 2 ** 31 }));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('timeoutMs');
    expect(error.message).toContain(String(TIMER_MAX));
    expect(emu.hits()).toBe(0);
    // The largest deadline Node can keep is accepted.
    await expect(
      router.explain({ tenant: 't', messages: hello, timeoutMs: TIMER_MAX }),
    ).resolves.toMatchObject({
      chosen: MODEL,
    });
  });

  it('refuses attemptTimeoutMs, hedgeAfterMs and retry delays of 2^31 ms or more, naming the field', () => {
    const cases: [RouterConfig, string][] = [
      [{ providers: emu.providers, attemptTimeoutMs: 2 ** 31 }, 'attemptTimeoutMs'],
      [{ providers: emu.providers, retry: { retries: 1, maxDelayMs: 2 ** 40 } }, 'retry.maxDelayMs'],
      [{ providers: emu.providers, retry: { retries: 1, maxRetryAfterMs: 1e100 } }, 'retry.maxRetryAfterMs'],
      [
        { providers: emu.providers, tenants: { t: { attemptTimeoutMs: 2 ** 31 } } },
        'tenants.t.attemptTimeoutMs',
      ],
      [
        { providers: emu.providers, tenants: { t: { strategy: 'max_reliability', hedgeAfterMs: 2 ** 31 } } },
        'tenants.t.hedgeAfterMs',
      ],
    ];
    for (const [config, field] of cases) {
      const error = configError(config);
      expect(error.code, field).toBe('invalid_config');
      expect(error.message, field).toContain(field);
      expect(error.message, field).toContain(String(TIMER_MAX));
    }
    expect(() => createRouter({ providers: emu.providers, attemptTimeoutMs: TIMER_MAX })).not.toThrow();
  });
});

describe('weights', () => {
  it.each([
    [
      'split weights whose sum would be Infinity',
      {
        acme: {
          split: [
            { model: 'gpt-6.2-sol', weight: 1e308 },
            { model: 'gpt-6-luna', weight: 1e308 },
          ],
        },
      },
      'split[0].weight',
    ],
    ['a fair-share weight too small to schedule', { acme: { weight: 1e-300 } }, 'tenants.acme.weight'],
  ])('refuses %s, naming the field', (_what, tenants, field) => {
    expect(() =>
      createRouter({ providers: { openai: { apiKey: 'sk-test-000000' } }, tenants } as never),
    ).toThrow(expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining(field) }));
  });

  it('refuses balanced weights out of range', () => {
    expect(() =>
      createRouter({
        providers: { openai: { apiKey: 'sk-test-000000' } },
        balancedWeights: { cost: Number.MAX_VALUE },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringContaining('balancedWeights.cost'),
      }),
    );
  });
});
