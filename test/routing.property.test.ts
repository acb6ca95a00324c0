/**
 * Property-based tests of routing: over random catalogs, policies and requests, the chosen
 * model and every fallback satisfy the policy (model, role, region, capability, cost cap,
 * quality), or the call fails with the right code.
 *
 * The oracle below is written from the documented rules (README "How a call is routed",
 * "Strategies", "Tenants", "Estimation"; ARCHITECTURE "Decisions users can rely on"), not
 * from src/stages or src/strategies. Where the docs leave a number open (the context-window
 * formula, the per-message token overhead) the oracle only asserts what holds for any
 * reasonable value: a model that clearly fits must stay, one that clearly cannot must go.
 */
import fc from 'fast-check';
import {
  type ChatRequest,
  type ChatResult,
  type ContentPart,
  createRouter,
  type Message,
  type ModelSpec,
  type RouteDecision,
  type Router,
  type RouterConfig,
  RouterError,
  type StrategyName,
  type TenantPolicy,
  type Tool,
} from 'routeplane';
import type { EmulatedFault } from 'routeplane/testing';
import { describe, expect, it } from 'vitest';
import { useEmulator } from './support/harness.js';

const emu = useEmulator();

// ---------------------------------------------------------------------------------------
// Vocabulary. Provider entries have custom names with a `type`, so no built-in model is
// loaded (built-ins load only for entries named openai / anthropic / mistral) and the
// catalog is exactly the generated models.

const PROVIDER_TYPES = { 'p-openai': 'openai', 'p-anthropic': 'anthropic', 'p-mistral': 'mistral' } as const;
type ProviderName = keyof typeof PROVIDER_TYPES;
const PROVIDER_NAMES = Object.keys(PROVIDER_TYPES) as ProviderName[];
const REGIONS = ['us', 'eu', 'apac'] as const;
const CAPABILITIES = ['tools', 'vision', 'json'] as const;
type Capability = (typeof CAPABILITIES)[number];
const STRATEGIES: readonly StrategyName[] = ['force_model', 'lowest_cost', 'balanced', 'max_reliability'];
const POLICY_ROLES = ['admin', 'viewer'] as const;
/** Request roles: some named by policies, some never named (`toString` probes prototype lookups). */
const REQUEST_ROLES = ['admin', 'viewer', 'guest', 'toString'] as const;
/** `.` in ids checks that globs treat it literally. */
const ID_CHARS = ['a', 'b', '.', '-'];
const GLOB_CHARS = [...ID_CHARS, '*', '?', '*'];
/** The documented default `max_tokens` when the request sets none (README "Estimation"). */
const DEFAULT_MAX_TOKENS = 4096;
/** Generous bound on the per-message / per-request / per-tool overhead the docs call "fixed". */
const OVERHEAD_BOUND = 64;
/** Generous bound on the tokens an image counts for (undocumented; providers charge < 2k). */
const IMAGE_BOUND = 10_000;
/** Estimates are rounded up to the nano-dollar (costs are accounted in integer nano-USD). */
const NANO_USD = 1e-9;
/** Reported `estCostUsd` is rounded to 6 decimals for display. */
const DISPLAY_ROUNDING = 5e-7 + 1e-12;

/** The three provider entries, under custom names, pointed at the emulator. */
function providers() {
  const entry = (name: ProviderName) => ({
    type: PROVIDER_TYPES[name],
    ...emu.providers[PROVIDER_TYPES[name]],
  });
  return {
    'p-openai': entry('p-openai'),
    'p-anthropic': entry('p-anthropic'),
    'p-mistral': entry('p-mistral'),
  };
}

// ---------------------------------------------------------------------------------------
// Arbitraries

const idArb = fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 1, maxLength: 3 });
const globArb = fc.string({ unit: fc.constantFrom(...GLOB_CHARS), minLength: 1, maxLength: 4 });
const priceArb = fc.oneof(
  fc.constant(0),
  fc.constantFrom(0.1, 1, 3, 15, 75),
  fc.double({ min: 0, max: 100, noNaN: true, noDefaultInfinity: true }),
);
const usdCapArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.constantFrom(0.0001, 0.001, 0.01, 0.1, 1) },
  { weight: 3, arbitrary: fc.double({ min: 0, max: 0.5, noNaN: true, noDefaultInfinity: true }) },
);
const qualityArb = fc.oneof(
  fc.constantFrom(0, 0.3, 0.5, 0.8, 1),
  fc.double({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true }),
);
const FORMATS = [
  { type: 'text' as const },
  { type: 'json' as const },
  { type: 'json_schema' as const, name: 'answer', schema: { type: 'object' } },
];

const modelArb: fc.Arbitrary<ModelSpec> = fc
  .record({
    id: idArb,
    provider: fc.constantFrom(...PROVIDER_NAMES),
    region: fc.option(fc.constantFrom(...REGIONS), { nil: undefined }),
    // Left out: not known, so not restricted (ARCHITECTURE "Decisions users can rely on").
    capabilities: fc.oneof(
      fc.constant<Capability[]>([...CAPABILITIES]),
      fc.subarray<Capability>([...CAPABILITIES]),
      fc.constant(undefined),
    ),
    inputPerMTok: priceArb,
    outputPerMTok: priceArb,
    quality: qualityArb,
    contextWindow: fc.oneof(
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 400 }) },
      { weight: 1, arbitrary: fc.integer({ min: 400, max: 20_000 }) },
      { weight: 3, arbitrary: fc.constant(1_000_000) },
    ),
    maxOutputTokens: fc.oneof(
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 }) },
      { weight: 2, arbitrary: fc.integer({ min: 300, max: 8192 }) },
      { weight: 2, arbitrary: fc.constant(64_000) },
    ),
  })
  .map(({ inputPerMTok, outputPerMTok, region, capabilities, ...rest }) => ({
    ...rest,
    ...(region !== undefined && { region }),
    ...(capabilities !== undefined && { capabilities }),
    pricing: { inputPerMTok, outputPerMTok },
  }));

const catalogArb = fc.array(modelArb, { minLength: 1, maxLength: 12 });

/** Drops keys whose value is undefined, so that an absent field is absent (merging relies on it). */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
/** Present in one draw out of `oneIn`, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, oneIn = 2): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
/** True in one draw out of `n`. */
const oneIn = (n: number) => fc.integer({ min: 1, max: n }).map((i) => i === 1);

/** Ids and globs: catalog ids, globs derived from them (`ab*`, `a?b`), random globs and ids. */
const patternArb = (ids: string[]) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...ids) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...ids), fc.nat(), fc.constantFrom('*', '?'))
        .map(([id, at, wild]) => {
          const k = at % id.length;
          return wild === '*' ? `${id.slice(0, k)}*` : `${id.slice(0, k)}?${id.slice(k + 1)}`;
        }),
    },
    { weight: 1, arbitrary: globArb },
    { weight: 1, arbitrary: idArb },
  );

/** A policy layer whose model references (`model`, `fallbacks`, `split`) are all in `refs`. */
const policyArb = (refs: string[], patterns: string[]): fc.Arbitrary<TenantPolicy> =>
  fc
    .record({
      allowedModels: sometimes(fc.array(patternArb(patterns), { maxLength: 5 }), 4),
      deniedModels: sometimes(fc.array(patternArb(patterns), { maxLength: 3 }), 3),
      allowedRegions: sometimes(fc.subarray([...REGIONS]), 4),
      roles: sometimes(
        fc.dictionary(
          fc.constantFrom(...POLICY_ROLES),
          fc.record({ allowedModels: fc.array(patternArb(patterns), { maxLength: 4 }) }),
        ),
        3,
      ),
      strategy: sometimes(fc.constantFrom(...STRATEGIES), 3),
      model: sometimes(fc.constantFrom(...refs), 4),
      fallbacks: sometimes(fc.array(fc.constantFrom(...refs), { maxLength: 5 }), 3),
      split: sometimes(
        fc
          .array(fc.record({ model: fc.constantFrom(...refs), weight: fc.constantFrom(0, 1, 2.5, 10) }), {
            minLength: 1,
            maxLength: 3,
          })
          .filter((arms) => arms.some((a) => a.weight > 0)),
        5,
      ),
      maxCostPerRequest: sometimes(usdCapArb, 4),
      minQuality: sometimes(qualityArb, 4),
      responseFormat: sometimes(fc.constantFrom(...FORMATS), 5),
    })
    .map(compact);

interface RequestShape {
  role: string | undefined;
  forceModel: string | undefined;
  strategy: StrategyName | undefined;
  maxCost: number | undefined;
  maxTokens: number | undefined;
  tools: boolean;
  image: boolean;
  format: 'text' | 'json' | 'json_schema' | undefined;
  system: string | undefined;
  text: string;
}

// Never empty: the Anthropic adapter drops an empty user message, and the API refuses a
// request with no messages (a provider edge case, not a routing one).
const textArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('lorem ', 'é', '€', '😀', 'x'), minLength: 1, maxLength: 600 }),
);

const requestArb = (ids: string[]): fc.Arbitrary<RequestShape> =>
  fc
    .record({
      role: fc.option(fc.constantFrom(...REQUEST_ROLES), { nil: undefined }),
      forceModel: sometimes(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ids) }, idArb), 3),
      strategy: sometimes(fc.constantFrom(...STRATEGIES), 3),
      maxCost: sometimes(usdCapArb, 4),
      maxTokens: sometimes(
        fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 10_000 })),
        3,
      ),
      tools: oneIn(5),
      image: oneIn(5),
      format: sometimes(fc.constantFrom('text' as const, 'json' as const, 'json_schema' as const), 4),
      system: sometimes(textArb, 3),
      text: textArb,
    })
    // A call that forces a model and also names another strategy is contradictory; the
    // docs do not say which wins, so such calls are not generated.
    .map((r) =>
      r.forceModel !== undefined && r.strategy !== undefined && r.strategy !== 'force_model'
        ? { ...r, strategy: undefined }
        : r,
    );

const TOOL: Tool = {
  name: 'lookup',
  description: 'Looks a word up',
  parameters: { type: 'object', properties: { word: { type: 'string' } } },
};

function toRequest(tenant: string, r: RequestShape): ChatRequest {
  const content: string | ContentPart[] = r.image
    ? [
        { type: 'text', text: r.text },
        { type: 'image', url: 'https://example.com/cat.png' },
      ]
    : r.text;
  const messages: Message[] = [
    ...(r.system !== undefined ? [{ role: 'system' as const, content: r.system }] : []),
    { role: 'user', content },
  ];
  const format = FORMATS.find((f) => f.type === r.format);
  return {
    tenant,
    messages,
    ...(r.role !== undefined && { role: r.role }),
    ...(r.forceModel !== undefined && { forceModel: r.forceModel }),
    ...(r.strategy !== undefined && { strategy: r.strategy }),
    ...(r.maxCost !== undefined && { maxCost: r.maxCost }),
    ...(r.maxTokens !== undefined && { maxTokens: r.maxTokens }),
    ...(r.tools && { tools: [TOOL] }),
    ...(format !== undefined && { responseFormat: format }),
  };
}

interface Scenario {
  /** `createRouter({ models })`. */
  models: ModelSpec[];
  /** Optional `defaults` layer under the tenant's own policy. */
  defaults: TenantPolicy | undefined;
  /** The tenant's own policy, sometimes with its own `models` (seen by this tenant only). */
  policy: TenantPolicy;
  request: RequestShape;
}

/** A tenant-owned model: a new id, or a catalog id it aliases to its own upstream model. */
const ownModelArb = (ids: string[]) =>
  fc
    .tuple(modelArb, fc.oneof(fc.constantFrom(...ids), idArb))
    .map(([m, id]): ModelSpec => ({ ...m, id, model: `ft:${id}` }));

/**
 * The policy without the patterns and regions that match none of `models` (the models the
 * layer sees): those are refused at createRouter (see 3d), so the routing properties are
 * checked on policies that pass it.
 */
function keepMatching(policy: TenantPolicy, models: readonly ModelSpec[]): TenantPolicy {
  const catalog = catalogOf(models);
  const ids = [...catalog.keys()];
  const regions = new Set([...catalog.values()].map((m) => m.region));
  const matching = (patterns: string[]) => patterns.filter((p) => ids.some((id) => globMatch(p, id)));
  return compact({
    ...policy,
    allowedModels: policy.allowedModels && matching(policy.allowedModels),
    deniedModels: policy.deniedModels && matching(policy.deniedModels),
    allowedRegions: policy.allowedRegions?.filter((r) => regions.has(r)),
    roles:
      policy.roles &&
      Object.fromEntries(
        Object.entries(policy.roles).map(([role, spec]) => [
          role,
          { allowedModels: matching(spec.allowedModels) },
        ]),
      ),
  });
}

const scenarioArb: fc.Arbitrary<Scenario> = catalogArb.chain((models) => {
  const ids = models.map((m) => m.id);
  return sometimes(fc.array(ownModelArb(ids), { minLength: 1, maxLength: 3 }), 4).chain((own) => {
    const known = [...ids, ...(own ?? []).map((m) => m.id)];
    return fc.record({
      models: fc.constant(models),
      defaults: sometimes(
        policyArb(ids, ids).map((p) => keepMatching(p, models)),
        3,
      ),
      policy: policyArb(known, known).map((p) =>
        own ? { ...keepMatching(p, [...models, ...own]), models: own } : keepMatching(p, models),
      ),
      request: requestArb(known),
    });
  });
});

/** Scenarios pinned to a model with several fallbacks, so that fallback order is exercised. */
const pinnedScenarioArb: fc.Arbitrary<Scenario> = scenarioArb.chain((s) => {
  const known = [...new Set([...s.models, ...(s.policy.models ?? [])].map((m) => m.id))];
  return fc
    .record({
      model: fc.constantFrom(...known),
      fallbacks: fc.shuffledSubarray(known, { minLength: Math.min(2, known.length) }),
    })
    .map(({ model, fallbacks }) => ({
      ...s,
      policy: { ...s.policy, strategy: 'force_model' as const, model, fallbacks },
      request: { ...s.request, strategy: undefined },
    }));
});

/** Mostly free scenarios, some pinned ones. */
const anyScenarioArb = fc.oneof(
  { weight: 3, arbitrary: scenarioArb },
  { weight: 1, arbitrary: pinnedScenarioArb },
);

function routerFor(s: Scenario, extra: Partial<RouterConfig> = {}): Router {
  return createRouter({
    providers: providers(),
    models: s.models,
    tenants: { t: s.policy },
    ...(s.defaults !== undefined && { defaults: s.defaults }),
    ...extra,
  });
}

/** Provider faults, each consumed by one upstream request: retryable, final and network ones. */
const faultArb: fc.Arbitrary<EmulatedFault> = fc.constantFrom(
  { status: 503 },
  { status: 500 },
  { status: 429 },
  { status: 404 },
  { status: 400 },
  { reset: true as const },
);

// ---------------------------------------------------------------------------------------
// The oracle, from the documented rules.

/** `*` matches any run of characters, `?` exactly one; everything else is literal. */
function globMatch(pattern: string, id: string): boolean {
  const go = (i: number, j: number): boolean => {
    if (i === pattern.length) return j === id.length;
    const c = pattern[i];
    if (c === '*') return go(i + 1, j) || (j < id.length && go(i, j + 1));
    if (j === id.length) return false;
    return (c === '?' || c === id[j]) && go(i + 1, j + 1);
  };
  return go(0, 0);
}
const matchesAny = (patterns: readonly string[], id: string) => patterns.some((p) => globMatch(p, id));

/** defaults ← tenant, field by field; `roles` merges one level deep; arrays are replaced. */
function effectivePolicy(s: Scenario): TenantPolicy {
  const merged: TenantPolicy = { ...(s.defaults ?? {}), ...s.policy };
  if (s.defaults?.roles && s.policy.roles) merged.roles = { ...s.defaults.roles, ...s.policy.roles };
  return merged;
}

/** The tenant's catalog: router models, then its own; a later entry with the same id replaces. */
function catalogOf(models: readonly ModelSpec[]): Map<string, ModelSpec> {
  const byId = new Map<string, ModelSpec>();
  for (const m of models) byId.set(m.id, m);
  return byId;
}

/** Why the policy forbids the model (lists, role, region), or undefined. */
function policyReason(m: ModelSpec, p: TenantPolicy, role: string | undefined): string | undefined {
  if (p.deniedModels && matchesAny(p.deniedModels, m.id)) return 'denied';
  if (p.allowedModels && !matchesAny(p.allowedModels, m.id)) return 'not in allowedModels';
  if (role !== undefined && p.roles && Object.hasOwn(p.roles, role)) {
    if (!matchesAny(p.roles[role]!.allowedModels, m.id)) return `not allowed for role ${role}`;
  }
  if (p.allowedRegions && !(m.region !== undefined && p.allowedRegions.includes(m.region)))
    return 'region not allowed';
  return undefined;
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

type Verdict = 'yes' | 'no' | 'unknown';

interface ModelVerdict {
  spec: ModelSpec;
  policyOk: boolean;
  capsOk: boolean;
  fits: Verdict;
  underCap: Verdict;
  qualityOk: boolean;
  /** Lower bound of the estimated cost, in USD: the prompt's bytes and the max_tokens sent. */
  costLow: number;
}

interface Decidable {
  kind: 'decision';
  strategy: StrategyName;
  forced: string | undefined;
  cap: number | undefined;
  /** force_model: the forced model, then the fallbacks, without repeats. */
  forceOrder: string[] | undefined;
  /** Split arms (weight > 0) that may be put first, when the policy splits this call. */
  splitArms: string[] | undefined;
  verdicts: Map<string, ModelVerdict>;
}
type Expected = { kind: 'error'; code: 'invalid_request' | 'policy_denied'; why: string } | Decidable;

function expected(s: Scenario): Expected {
  const p = effectivePolicy(s);
  const r = s.request;
  const catalog = catalogOf([...s.models, ...(p.models ?? [])]);
  const strategy: StrategyName =
    r.strategy ??
    (r.forceModel !== undefined
      ? 'force_model'
      : (p.strategy ?? (p.model !== undefined ? 'force_model' : 'balanced')));
  const forced = strategy === 'force_model' ? (r.forceModel ?? p.model) : undefined;
  if (strategy === 'force_model' && forced === undefined)
    return { kind: 'error', code: 'invalid_request', why: 'force_model without a model' };
  if (forced !== undefined && !catalog.has(forced))
    return { kind: 'error', code: 'invalid_request', why: `forced '${forced}' is not in the catalog` };
  if (forced !== undefined) {
    const reason = policyReason(catalog.get(forced)!, p, r.role);
    if (reason !== undefined)
      return { kind: 'error', code: 'policy_denied', why: `forced '${forced}': ${reason}` };
  }

  const cap =
    r.maxCost === undefined
      ? p.maxCostPerRequest
      : p.maxCostPerRequest === undefined
        ? r.maxCost
        : Math.min(r.maxCost, p.maxCostPerRequest);
  const bytes = utf8(r.system ?? '') + utf8(r.text);
  const messages = r.system !== undefined ? 2 : 1;
  const inputHigh =
    bytes +
    OVERHEAD_BOUND * (messages + 1) +
    (r.image ? IMAGE_BOUND : 0) +
    (r.tools ? utf8(JSON.stringify(TOOL)) + OVERHEAD_BOUND : 0);
  const format = r.format ?? p.responseFormat?.type;
  const needs: Capability[] = [
    ...(r.tools ? ['tools' as const] : []),
    ...(r.image ? ['vision' as const] : []),
    ...(format === 'json' || format === 'json_schema' ? ['json' as const] : []),
  ];

  const verdicts = new Map<string, ModelVerdict>();
  for (const [id, m] of catalog) {
    const maxOut = m.maxOutputTokens!;
    const window = m.contextWindow!;
    const maxTokens = r.maxTokens ?? Math.min(maxOut, DEFAULT_MAX_TOKENS);
    const fits: Verdict =
      maxTokens > maxOut || maxTokens > window ? 'no' : inputHigh + maxTokens <= window ? 'yes' : 'unknown';
    const inPrice = m.pricing!.inputPerMTok / 1e6;
    const outPrice = m.pricing!.outputPerMTok / 1e6;
    const costLow = bytes * inPrice + maxTokens * outPrice;
    const costHigh = inputHigh * inPrice + maxTokens * outPrice;
    const underCap: Verdict =
      cap === undefined
        ? 'yes'
        : costLow > cap * (1 + 1e-9) + 1e-15
          ? 'no'
          : costHigh + NANO_USD <= cap * (1 - 1e-9)
            ? 'yes'
            : 'unknown';
    verdicts.set(id, {
      spec: m,
      policyOk: policyReason(m, p, r.role) === undefined,
      capsOk: m.capabilities === undefined || needs.every((c) => m.capabilities!.includes(c)),
      fits,
      underCap,
      qualityOk: p.minQuality === undefined || m.quality! >= p.minQuality || id === forced,
      costLow,
    });
  }
  const forceOrder = strategy === 'force_model' ? [...new Set([forced!, ...(p.fallbacks ?? [])])] : undefined;
  const splitArms =
    p.split && r.forceModel === undefined
      ? p.split.filter((a) => a.weight > 0).map((a) => a.model)
      : undefined;
  return { kind: 'decision', strategy, forced, cap, forceOrder, splitArms, verdicts };
}

/** A model the router must keep: allowed, capable, clearly fits, clearly under the cap, good enough. */
const clearlyEligible = (v: ModelVerdict) =>
  v.policyOk && v.capsOk && v.fits === 'yes' && v.underCap === 'yes' && v.qualityOk;

/** Asserts that `decision` only lists models the oracle allows, and every clearly eligible one. */
function checkCandidates(decision: RouteDecision, exp: Decidable): void {
  expect(decision.strategy).toBe(exp.strategy);
  expect(decision.chosen).toBe(decision.candidates[0]?.model);
  for (const c of decision.candidates) {
    const v = exp.verdicts.get(c.model);
    if (!v) expect.fail(`candidate '${c.model}' is not in the tenant's catalog`);
    expect(v.policyOk, `${c.model}: allowed by lists, role and region`).toBe(true);
    expect(v.capsOk, `${c.model}: has every capability the request needs`).toBe(true);
    expect(v.fits, `${c.model}: fits context window and max output`).not.toBe('no');
    expect(v.underCap, `${c.model}: estimated cost within the cap`).not.toBe('no');
    expect(v.qualityOk, `${c.model}: quality >= minQuality unless forced`).toBe(true);
    expect(c.provider).toBe(v.spec.provider);
    expect(c.region).toBe(v.spec.region);
    // The estimate is an upper bound: never below the prompt's bytes and the max_tokens sent.
    expect(c.estCostUsd).toBeGreaterThanOrEqual(v.costLow * (1 - 1e-9) - DISPLAY_ROUNDING);
    if (exp.cap !== undefined) expect(c.estCostUsd).toBeLessThanOrEqual(exp.cap + DISPLAY_ROUNDING);
  }
  const listed = new Set(decision.candidates.map((c) => c.model));
  for (const [id, v] of exp.verdicts) {
    if (!clearlyEligible(v) || (exp.forceOrder && !exp.forceOrder.includes(id))) continue;
    expect(listed.has(id), `'${id}' clearly qualifies but is not a candidate`).toBe(true);
  }
}

/** Every model of the tenant's catalog is a candidate or excluded, exactly once; exclusions give a reason. */
function checkPartition(decision: RouteDecision, exp: Decidable): void {
  const seen = [...decision.candidates.map((c) => c.model), ...decision.excluded.map((e) => e.model)];
  expect(seen.sort()).toEqual([...exp.verdicts.keys()].sort());
  for (const e of decision.excluded) {
    expect(typeof e.reason).toBe('string');
    expect(e.reason.trim().length, `'${e.model}' is excluded with a reason`).toBeGreaterThan(0);
  }
}

async function settle<T>(
  promise: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

function codeOf(error: unknown): string {
  if (RouterError.isInstance(error)) return error.code;
  throw error;
}

/** createRouter refuses the scenario with invalid_config, naming `tenants.t.<field>`. */
function expectInvalidConfig(s: Scenario, field: string): void {
  let error: unknown;
  try {
    routerFor(s);
  } catch (e) {
    error = e;
  }
  expect(codeOf(error)).toBe('invalid_config');
  expect((error as RouterError).message).toContain(`tenants.t.${field}`);
}

const RUNS = 200;

// ---------------------------------------------------------------------------------------

describe('routing properties (explain: no provider is called)', () => {
  it('1. the chosen model and every fallback satisfy policy, request, cost cap and minQuality; none that clearly qualifies is dropped', async () => {
    await fc.assert(
      fc.asyncProperty(anyScenarioArb, async (s) => {
        const exp = expected(s);
        fc.pre(exp.kind === 'decision');
        if (exp.kind !== 'decision') return;
        checkCandidates(await routerFor(s).explain(toRequest('t', s.request)), exp);
      }),
      { numRuns: RUNS },
    );
  });

  it('2. force_model ranks the forced model, then only the policy fallbacks, in order; the other strategies keep their documented order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(scenarioArb, pinnedScenarioArb), async (s) => {
        const exp = expected(s);
        fc.pre(exp.kind === 'decision');
        if (exp.kind !== 'decision') return;
        const decision = await routerFor(s).explain(toRequest('t', s.request));
        let ranked = decision.candidates;
        const ids = ranked.map((c) => c.model);
        expect(new Set(ids).size, 'no model is listed twice').toBe(ids.length);
        // A split may put one of its (eligible) arms first; the strategy ranks the rest.
        if (exp.splitArms?.includes(ids[0]!)) ranked = ranked.slice(1);
        if (exp.forceOrder) {
          const rest = ranked.map((c) => c.model);
          expect(rest).toEqual(exp.forceOrder.filter((id) => rest.includes(id)));
          return;
        }
        for (let i = 1; i < ranked.length; i++) {
          const [a, b] = [ranked[i - 1]!, ranked[i]!];
          if (exp.strategy === 'lowest_cost') expect(a.estCostUsd).toBeLessThanOrEqual(b.estCostUsd);
          if (exp.strategy === 'balanced') expect(a.score).toBeGreaterThanOrEqual(b.score);
          if (exp.strategy === 'max_reliability') {
            // No history yet: by quality, then cost.
            const qa = exp.verdicts.get(a.model)!.spec.quality!;
            const qb = exp.verdicts.get(b.model)!.spec.quality!;
            expect(qa).toBeGreaterThanOrEqual(qb);
            if (qa === qb) expect(a.estCostUsd).toBeLessThanOrEqual(b.estCostUsd);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('3. a forced model the policy forbids is policy_denied; one not in the catalog (or none at all) is invalid_request', async () => {
    await fc.assert(
      fc.asyncProperty(anyScenarioArb, async (s) => {
        const exp = expected(s);
        const outcome = await settle(routerFor(s).explain(toRequest('t', s.request)));
        if (exp.kind === 'error') {
          if (outcome.ok) expect.fail(`expected ${exp.code} (${exp.why}), got a decision`);
          expect(codeOf(outcome.error), exp.why).toBe(exp.code);
        } else if (!outcome.ok) {
          expect.fail(`explain rejected with ${codeOf(outcome.error)}; the oracle expects a decision`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('3b. a policy naming a model in no catalog is refused at createRouter with invalid_config', () => {
    fc.assert(
      fc.property(scenarioArb, idArb, fc.constantFrom('model', 'fallbacks', 'split'), (s, id, field) => {
        const known = new Set([...s.models, ...(s.policy.models ?? [])].map((m) => m.id));
        fc.pre(!known.has(id));
        const policy: TenantPolicy = {
          ...s.policy,
          ...(field === 'model' && { model: id }),
          ...(field === 'fallbacks' && { fallbacks: [...(s.policy.fallbacks ?? []), id] }),
          ...(field === 'split' && { split: [{ model: id, weight: 1 }] }),
        };
        expectInvalidConfig({ ...s, policy }, field);
      }),
      { numRuns: RUNS },
    );
  });

  it('3d. a glob or region that matches none of the models a policy sees is refused at createRouter with invalid_config', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        globArb,
        fc.constantFrom('allowedModels', 'deniedModels', 'roles', 'allowedRegions'),
        (s, pattern, field) => {
          const seen = catalogOf([...s.models, ...(s.policy.models ?? [])]);
          const regions = new Set([...seen.values()].map((m) => m.region));
          const region = REGIONS.find((r) => !regions.has(r));
          fc.pre(
            field === 'allowedRegions'
              ? region !== undefined
              : ![...seen.keys()].some((id) => globMatch(pattern, id)),
          );
          const policy: TenantPolicy = {
            ...s.policy,
            ...(field === 'allowedModels' && { allowedModels: [...(s.policy.allowedModels ?? []), pattern] }),
            // A deny list may name built-in models of provider entries not configured (all of
            // them here); no built-in id has a '_'.
            ...(field === 'deniedModels' && { deniedModels: [`${pattern}_`] }),
            ...(field === 'roles' && { roles: { viewer: { allowedModels: [pattern] } } }),
            ...(field === 'allowedRegions' && { allowedRegions: [region!] }),
          };
          expectInvalidConfig({ ...s, policy }, field);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('4a. every catalog model is a candidate or excluded, exactly once, with a reason (ranking strategies)', async () => {
    await fc.assert(
      fc.asyncProperty(anyScenarioArb, async (s) => {
        const exp = expected(s);
        fc.pre(exp.kind === 'decision' && exp.strategy !== 'force_model');
        if (exp.kind !== 'decision') return;
        checkPartition(await routerFor(s).explain(toRequest('t', s.request)), exp);
      }),
      { numRuns: RUNS },
    );
  });

  it('4b. every catalog model is a candidate or excluded, exactly once, with a reason (force_model)', async () => {
    await fc.assert(
      fc.asyncProperty(anyScenarioArb, async (s) => {
        const exp = expected(s);
        fc.pre(exp.kind === 'decision' && exp.strategy === 'force_model');
        if (exp.kind !== 'decision') return;
        checkPartition(await routerFor(s).explain(toRequest('t', s.request)), exp);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('routing properties (complete, on the emulator)', () => {
  it("3c/4c. complete() fails with the oracle's code, or no_eligible_model when nothing survives; else only candidates are called, in order, through retries and fallback", async () => {
    await fc.assert(
      fc.asyncProperty(anyScenarioArb, fc.array(faultArb, { maxLength: 4 }), async (s, faults) => {
        emu.reset();
        const exp = expected(s);
        // No backoff delay, so that retries and fallback cost no time.
        const router = routerFor(s, { retry: { retries: 1, minDelayMs: 0, maxDelayMs: 0 } });
        const request = toRequest('t', s.request);
        if (exp.kind === 'error') {
          const outcome = await settle(router.complete(request));
          if (outcome.ok) expect.fail(`expected ${exp.code} (${exp.why}), got an answer`);
          expect(codeOf(outcome.error), exp.why).toBe(exp.code);
          expect(emu.hits()).toBe(0);
          return;
        }
        const decision = await router.explain(request);
        if (faults.length > 0) emu.fail('*', ...faults);
        const outcome = await settle(router.complete(request));
        if (decision.candidates.length === 0) {
          expect(decision.chosen).toBeUndefined();
          if (outcome.ok) expect.fail('expected no_eligible_model, got an answer');
          expect(codeOf(outcome.error)).toBe('no_eligible_model');
          expect(emu.hits()).toBe(0);
          return;
        }
        const ids = decision.candidates.map((c) => c.model);
        // A split draws its pick per call, so this call may lead with another eligible arm
        // than explain did (under force_model, one explain did not list).
        const reachable = new Set(ids);
        for (const arm of exp.splitArms ?? []) {
          const v = exp.verdicts.get(arm)!;
          if (v.policyOk && v.capsOk && v.fits !== 'no' && v.underCap !== 'no' && v.qualityOk)
            reachable.add(arm);
        }
        const specs = [...reachable].map((id) => exp.verdicts.get(id)!.spec);
        // Upstream, only candidates are reached, under their own upstream name and provider.
        expect(emu.hits()).toBeGreaterThan(0);
        for (const sent of emu.requests) {
          const target = specs.find(
            (m) =>
              (m.model ?? m.id) === sent.model &&
              PROVIDER_TYPES[m.provider as ProviderName] === sent.provider,
          );
          expect(
            target,
            `upstream request to ${sent.provider}/${sent.model} matches a candidate`,
          ).toBeDefined();
        }
        let attempts: { model: string; provider: string }[];
        if (outcome.ok) {
          const result = outcome.value;
          expect([...reachable]).toContain(result.model);
          const v = exp.verdicts.get(result.model)!;
          expect(v.policyOk && v.capsOk && v.qualityOk).toBe(true);
          expect(result.provider).toBe(v.spec.provider);
          // Without a split or a fault, the call goes where explain said.
          if (!exp.splitArms && faults.length === 0) expect(result.model).toBe(decision.chosen);
          attempts = result.attempts;
        } else {
          expect(faults.length, `${outcome.error}`).toBeGreaterThan(0);
          expect(codeOf(outcome.error)).toBe('providers_exhausted');
          attempts = (outcome.error as RouterError).attempts ?? [];
        }
        for (const a of attempts) {
          expect([...reachable], `attempt on ${a.model}`).toContain(a.model);
          expect(a.provider).toBe(exp.verdicts.get(a.model)!.spec.provider);
        }
        // Fallback walks the ranked list forwards.
        if (!exp.splitArms) {
          const tried = [...new Set(attempts.map((a) => a.model))];
          expect(tried).toEqual(ids.filter((id) => tried.includes(id)));
        }
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Isolation: two tenants with disjoint allowedModels in one router.

interface Op {
  tenant: 'A' | 'B';
  kind: 'explain' | 'complete' | 'set';
  force: 'none' | 'own' | 'other';
  pick: number;
  strategy: StrategyName;
}

const opArb: fc.Arbitrary<Op> = fc.record({
  tenant: fc.constantFrom('A' as const, 'B' as const),
  kind: fc.constantFrom('explain' as const, 'explain' as const, 'complete' as const, 'set' as const),
  force: fc.constantFrom('none' as const, 'own' as const, 'other' as const),
  pick: fc.nat(),
  strategy: fc.constantFrom(...STRATEGIES.filter((name) => name !== 'force_model')),
});

const OWN_A: ModelSpec = {
  id: 'own:A',
  provider: 'p-anthropic',
  model: 'ft:own:A',
  pricing: { inputPerMTok: 1, outputPerMTok: 1 },
  contextWindow: 1_000_000,
  maxOutputTokens: 64_000,
};

const isolationArb = fc
  .uniqueArray(modelArb, { selector: (m) => m.id, minLength: 2, maxLength: 10 })
  .chain((models) =>
    fc.record({
      models: fc.constant(models.map((m) => ({ ...m, contextWindow: 1_000_000, maxOutputTokens: 64_000 }))),
      owners: fc.array(fc.constantFrom('A' as const, 'B' as const), {
        minLength: models.length,
        maxLength: models.length,
      }),
      ops: fc.array(opArb, { minLength: 1, maxLength: 10 }),
    }),
  );

describe('routing properties (isolation)', () => {
  it("5. tenants with disjoint allowedModels never get each other's models, under random interleavings", async () => {
    await fc.assert(
      fc.asyncProperty(isolationArb, fc.scheduler(), async ({ models, owners, ops }, scheduler) => {
        emu.reset();
        const mine = {
          A: [...models.filter((_, i) => owners[i] === 'A').map((m) => m.id), OWN_A.id],
          B: models.filter((_, i) => owners[i] === 'B').map((m) => m.id),
        };
        const upstream = {
          A: new Set([...mine.A.filter((id) => id !== OWN_A.id), OWN_A.model!]),
          B: new Set(mine.B),
        };
        const credentials = (t: 'A' | 'B') =>
          Object.fromEntries(PROVIDER_NAMES.map((p) => [p, { id: `cred-${t}`, apiKey: `key-${t}` }]));
        const policyOf = (t: 'A' | 'B', allowed: string[]): TenantPolicy => ({
          allowedModels: allowed,
          credentials: credentials(t),
          ...(t === 'A' && { models: [OWN_A] }),
        });
        const router = createRouter({
          providers: providers(),
          models,
          tenants: { A: policyOf('A', mine.A), B: policyOf('B', mine.B) },
        });

        const run = async (op: Op) => {
          const own = mine[op.tenant];
          const other = mine[op.tenant === 'A' ? 'B' : 'A'];
          if (op.kind === 'set') {
            // A hot update that narrows the tenant to a subset of its own models.
            router.tenants.set(
              op.tenant,
              policyOf(
                op.tenant,
                own.filter((_, i) => (i + op.pick) % 2 === 0),
              ),
            );
            return;
          }
          const forced =
            op.force === 'own' && own.length > 0
              ? own[op.pick % own.length]
              : op.force === 'other' && other.length > 0
                ? other[op.pick % other.length]
                : undefined;
          const request: ChatRequest = {
            tenant: op.tenant,
            messages: [{ role: 'user', content: `hello from ${op.tenant}` }],
            ...(forced !== undefined ? { forceModel: forced } : { strategy: op.strategy }),
          };
          const outcome = await settle<ChatResult | RouteDecision>(
            op.kind === 'explain' ? router.explain(request) : router.complete(request),
          );
          const label = `${op.tenant} ${op.kind} forcing ${forced ?? 'nothing'}`;
          if (forced !== undefined && !own.includes(forced)) {
            // Another tenant's model: refused, never swapped; A's own model is not in B's catalog.
            if (outcome.ok) expect.fail(`${label}: expected a refusal`);
            expect(codeOf(outcome.error), label).toBe(
              forced === OWN_A.id ? 'invalid_request' : 'policy_denied',
            );
            return;
          }
          if (!outcome.ok) {
            // A concurrent hot update may have narrowed the tenant: still a refusal, never a leak.
            expect(['policy_denied', 'no_eligible_model'], label).toContain(codeOf(outcome.error));
            return;
          }
          const got =
            'candidates' in outcome.value
              ? outcome.value.candidates.map((c) => c.model)
              : [outcome.value.model];
          for (const id of got) expect(own, `${label}: got ${id}`).toContain(id);
          if (forced !== undefined) expect(got[0], label).toBe(forced);
        };

        const tasks = ops.map((op) => scheduler.schedule(Promise.resolve(op)).then(run));
        await scheduler.waitAll();
        await Promise.all(tasks);
        for (const sent of emu.requests) {
          const tenant = sent.apiKey === 'key-A' ? 'A' : sent.apiKey === 'key-B' ? 'B' : undefined;
          expect(tenant, `request to ${sent.model} carries a tenant key`).toBeDefined();
          expect([...upstream[tenant!]], `${tenant}'s key reached ${sent.model}`).toContain(sent.model);
        }
      }),
      { numRuns: 100 },
    );
  });
});
