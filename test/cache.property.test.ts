import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { type ChatRequest, type ChatResult, createRouter, type TenantPolicy } from 'routeplane';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmulator } from './support/harness.js';

/*
 * Random interleavings of calls (tenants, prompts from a small alphabet so repeats happen,
 * parameters, complete or stream) and policy changes, through the router and the
 * emulator. Every emulator answer names the tenant it was made for (read from the API key:
 * each tenant has its own credentials; the tenant is deliberately not in the prompt, which
 * every tenant shares, so only the cache key keeps tenants apart), the hash of the request
 * body it answered, and a
 * serial number, so no two provider answers are alike. The model: the first answer each
 * (tenant, policy generation, parameters, prompt) got. Checked: every answer names the
 * caller's tenant; a cached answer is exactly the one its (tenant, generation, parameters,
 * prompt) got first, at cost 0; and a repeat within a generation is a hit.
 */

// Not reset between tests: the answers scripted here stay in force for the whole file.
const emu = useEmulator({ reset: false });
let serial = 0;
beforeAll(() => {
  emu.respond('*', (req) => {
    const body = JSON.stringify(req.body);
    const tenant = req.apiKey?.replace(/^key-/, '') ?? '?';
    const h = createHash('sha256').update(body).digest('hex').slice(0, 16);
    return { text: JSON.stringify({ tenant, h, n: ++serial }) };
  });
});

const models = ['m1', 'm2', 'm3'].map((id, i) => ({
  id,
  provider: ['openai', 'anthropic', 'mistral'][i]!,
  model: `${id}-up`,
  quality: 0.5 + i * 0.1,
  pricing: { inputPerMTok: 1 + i, outputPerMTok: 10 + i },
  capabilities: ['json' as const],
}));

/** A tenant's policy: its own keys; the same system prompt text for every tenant at one `rev`. */
const policyOf = (tenant: string, rev: number, narrow: boolean): TenantPolicy => ({
  strategy: 'lowest_cost',
  systemPrompt: `be brief (rev ${rev})`,
  credentials: Object.fromEntries(
    ['openai', 'anthropic', 'mistral'].map((p) => [p, { id: `${p}-${tenant}`, apiKey: `key-${tenant}` }]),
  ),
  cache: { ttlMs: 3_600_000 },
  roles: { viewer: { allowedModels: ['m2'] } },
  ...(narrow && { allowedModels: ['m2', 'm3'] }),
});

type Params = Pick<ChatRequest, 'temperature' | 'maxTokens' | 'responseFormat' | 'role' | 'user'>;

const callArb = fc.record({
  type: fc.constant('call' as const),
  tenant: fc.nat(3),
  prompt: fc.constantFrom('a', 'b'),
  stream: fc.boolean(),
  /** An index into the run's small pool of parameter sets, so repeats are frequent. */
  shape: fc.nat(),
});
/** Another value for one parameter: absent ↔ present, or a different value. */
const OTHER: { [K in keyof Params]-?: (v: Params[K]) => Params[K] } = {
  temperature: (v) => (v === undefined ? 0 : v === 0 ? 1 : undefined),
  maxTokens: (v) => (v === undefined ? 64 : v === 64 ? 128 : undefined),
  responseFormat: (v) => (v === undefined ? { type: 'json' } : undefined),
  role: (v) => (v === undefined ? 'viewer' : undefined),
  user: (v) => (v === undefined ? 'u1' : v === 'u1' ? 'u2' : undefined),
};
const FIELDS = Object.keys(OTHER) as (keyof Params)[];

/** A run's parameter sets: a base, and variants of it that each differ in one parameter. */
const poolArb = fc
  .tuple(
    fc.record(
      {
        temperature: fc.constantFrom(0, 1),
        maxTokens: fc.constantFrom(64, 128),
        responseFormat: fc.constant({ type: 'json' as const }),
        role: fc.constant('viewer'),
        user: fc.constantFrom('u1', 'u2'),
      },
      { requiredKeys: [] },
    ),
    fc.subarray(FIELDS),
  )
  .map(([base, fields]) => [
    base as Params,
    ...fields.map((field) => {
      const variant: Params = { ...base, [field]: (OTHER[field] as (v: unknown) => unknown)(base[field]) };
      if (variant[field] === undefined) delete variant[field];
      return variant;
    }),
  ]);

const policyArb = fc.record({
  type: fc.constant('policy' as const),
  tenant: fc.nat(3),
  // A new system prompt, or a new allowed-models list with the same prompt.
  change: fc.constantFrom('prompt' as const, 'models' as const),
});

async function run(router: ReturnType<typeof createRouter>, request: ChatRequest, stream: boolean) {
  if (!stream) return router.complete(request);
  const s = router.stream(request);
  for await (const _ of s);
  return s.result;
}

describe('cache isolation (property)', () => {
  it('never serves one tenant’s answer to another, nor an answer made under other parameters', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 4 }),
        poolArb,
        fc.array(fc.oneof({ weight: 6, arbitrary: callArb }, { weight: 1, arbitrary: policyArb }), {
          minLength: 1,
          maxLength: 40,
        }),
        async (tenantCount, pool, commands) => {
          const names = ['t0', 't1', 't2', 't3'].slice(0, tenantCount);
          // System prompt revision and narrowed models, per tenant.
          const revs = names.map(() => 0);
          const narrow = names.map(() => false);
          const router = createRouter({
            providers: emu.providers,
            models,
            tenants: Object.fromEntries(names.map((t) => [t, policyOf(t, 0, false)])),
          });
          const firstAnswer = new Map<string, string>();
          for (const command of commands) {
            const i = command.tenant % tenantCount;
            const tenant = names[i]!;
            if (command.type === 'policy') {
              if (command.change === 'prompt') revs[i]! += 1;
              else narrow[i] = !narrow[i];
              router.tenants.set(tenant, policyOf(tenant, revs[i]!, narrow[i]!));
              continue;
            }
            const params: Params = pool[command.shape % pool.length]!;
            const request: ChatRequest = {
              tenant,
              messages: [{ role: 'user', content: command.prompt }],
              ...params,
            };
            const result: ChatResult = await run(router, request, command.stream);
            expect(JSON.parse(result.text).tenant).toBe(tenant);
            // The policy as it is (its prompt revision and model list), not how often it was
            // set: the cache key is a fingerprint of the effective policy, so a policy set back
            // to what it was may serve what was cached under it.
            const key = JSON.stringify([
              tenant,
              revs[i],
              narrow[i],
              command.prompt,
              Object.entries(params).sort(),
            ]);
            const before = firstAnswer.get(key);
            if (result.cached) {
              expect(
                before,
                'a cached answer with no earlier call of the same tenant and parameters',
              ).toBeDefined();
              expect(result.text).toBe(before);
              expect(result.costUsd).toBe(0);
            } else {
              expect(before, 'a repeat within one policy generation should hit').toBeUndefined();
              firstAnswer.set(key, result.text);
            }
          }
          await router.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});
