import type { ModelSpec, ResolvedModel } from '../catalog/types.js';
import type { Credential } from '../providers/types.js';
import { compileBlockedTerms, type TermMatcher } from '../stages/guardrails/blocked-terms.js';
import { compileOutputSchema, type SafeParser } from '../stages/guardrails/output-schema.js';
import type { JSONSchema, Message, ResponseFormat, StrategyName } from '../types.js';
import { policyFingerprint } from './policy-fingerprint.js';
import { type CompiledTemplate, compileTemplate } from './template.js';

/**
 * What a tenant may do and how its calls are routed, as written in `createRouter({ tenants,
 * defaults, tiers })` or `router.tenants.set()`. Every field is optional; the effective
 * policy is `defaults ← tier ← tenant`, merged field by field (`roles` and `credentials`
 * merge one level deep; arrays are replaced). Unknown fields are refused, and so is what a
 * policy names that the router does not have (`invalid_config`, naming the field and the
 * closest valid value): a model id in no catalog or of a provider entry that is not
 * configured, a glob that matches no model (in a deny list too: it would deny nothing), a
 * region no model is served from, a `tier` that is not a key of `tiers`. A tenant's own
 * `models` count for its lists.
 *
 * @example
 * ```ts
 * const policy: TenantPolicy = {
 *   strategy: 'balanced',
 *   allowedRegions: ['eu'],
 *   deniedModels: ['claude-opus-*'],
 *   maxCostPerRequest: 0.02,
 *   roles: { viewer: { allowedModels: ['mistral-small-latest'] } },
 *   systemPrompt: 'You help {{user}} at {{tenant}}. Answer in {{vars.lang}}.',
 * };
 * ```
 */
export interface TenantPolicy {
  /**
   * The tier whose policy layer sits between the defaults and this tenant's own fields: a
   * key of `createRouter({ tiers })` (an unknown one is refused). Not allowed inside a tier.
   */
  tier?: string;
  /**
   * Only these models (ids or globs: `gpt-6*`, `*-latest`; `*` is any run of characters,
   * `?` one, and no other character is special: `[` and `{` are refused). Default: every
   * catalog model.
   */
  allowedModels?: string[];
  /** Never these models (ids or globs); wins over `allowedModels`. */
  deniedModels?: string[];
  /** Only models served in these regions (`us`, `eu`…): data residency. */
  allowedRegions?: string[];
  /** How to rank models. Default `force_model` when `model` is set, else `balanced`. */
  strategy?: StrategyName;
  /** The model for `force_model`. */
  model?: string;
  /** For `force_model`: the only models tried after `model`, in this order. */
  fallbacks?: string[];
  /** Models whose estimated cost is above this many USD are not used. */
  maxCostPerRequest?: number;
  /** Models with a quality score under this (0..1) are not used, unless forced. */
  minQuality?: number;
  /**
   * A system message put before the caller's messages, with `{{tenant}}`, `{{user}}` and
   * `{{vars.NAME}}` filled from the request.
   */
  systemPrompt?: string;
  /** Per caller role: the models that role may use. A role not named here adds no restriction. */
  roles?: Record<string, { allowedModels: string[] }>;
  /**
   * Per provider entry: the tenant's own API key (or AWS keys, or Google access token: see
   * `Credential`). Only `id` appears in events and the audit.
   */
  credentials?: Record<string, Credential>;
  /**
   * Models only this tenant sees, added to the catalog for its calls. An entry with a
   * catalog id replaces that model for this tenant: an alias to its own fine-tune,
   * `{ id: 'gpt-6.1-terra', provider: 'openai', model: 'ft:gpt-6.1-terra:acme::x1', pricing }`.
   */
  models?: ModelSpec[];
  /**
   * Moves a share of the tenant's traffic to other models: the first candidate is drawn by
   * weight among the split models that are eligible, sticky per (tenant, user); the strategy
   * ranks the fallbacks after it. A call that forces a model is not split.
   */
  split?: { model: string; weight: number }[];
  /** The response format of calls that set none. */
  responseFormat?: ResponseFormat;
  /** Retries of each candidate on retryable failures, before the next candidate. Default: the router's `retry.retries`. */
  retries?: number;
  /** Deadline of one attempt in ms (for a stream, until its first part). Default: the router's `attemptTimeoutMs`. */
  attemptTimeoutMs?: number;
  /**
   * For `max_reliability`: when the first attempt has no answer (or no first streamed part)
   * after this many ms, the next candidate starts too; the first success wins and the
   * other is aborted. Both attempts are in the audit record.
   */
  hedgeAfterMs?: number;
  /** A hard cap on the tenant's spend in a period. See `BudgetSpec`. */
  budget?: BudgetSpec;
  /** The same cap for each user of the tenant (`request.user`), counted separately. */
  userBudget?: BudgetSpec;
  /** Caps per value of a request tag: `{ feature: { limitUsd: 50, period: 'day' } }` caps each `tags.feature` value. */
  tagBudgets?: Record<string, BudgetSpec>;
  /** Requests and tokens per minute (GCRA: smooth, with bursts up to the limit). */
  rateLimit?: RateLimitSpec;
  /** The tenant's share of the router's concurrency when it is saturated (weighted fair queuing). Default 1. */
  weight?: number;
  /** Input and output checks: PII, blocked terms, size, structured output, custom. See `Guardrails`. */
  guardrails?: Guardrails;
  /** Exact-match answers cache, scoped to the tenant, kept `ttlMs`. Off when absent. */
  cache?: { ttlMs: number };
  /** Put the prompt and the answer (after redaction) in the tenant's audit records. Default false. */
  captureContent?: boolean;
  /**
   * Provider-side prompt caching of the tenant's stable prompt prefix. Default `'off'`
   * (nothing is sent; providers that cache on their own, OpenAI, Gemini and Mistral, still do).
   *
   * - Anthropic (and Bedrock, Vertex): `cache_control: { type: 'ephemeral' }` breakpoints on
   *   the system prompt, the last tool and the last message before the final turn (at most
   *   3 of Anthropic's 4); `'1h'` adds `ttl: '1h'`. Writes are billed at the model's
   *   `cacheWritePerMTok` (`cacheWrite1hPerMTok` for `'1h'`), reads at `cachedInputPerMTok`,
   *   and the budget reservation prices the input at the cache-write price.
   * - OpenAI and Azure OpenAI: `prompt_cache_key` set to a pseudonym of the tenant id (a
   *   SHA-256 digest, never the id itself), so the tenant's calls share cache routing and
   *   do not crowd out other tenants'. OpenAI's retention is its own (in memory, or 24 hours).
   * - Gemini and Mistral: caching is implicit; nothing is sent.
   *
   * @example
   * ```ts
   * tenants: { acme: { promptCaching: '5m', systemPrompt: longInstructions } }
   * ```
   */
  promptCaching?: 'off' | '5m' | '1h';
}

/** The PII kinds the built-in detector finds. */
export type PiiType = 'email' | 'phone' | 'card' | 'ssn' | 'iban' | 'ip';

/** What a guardrail decides. `redact` carries the rewritten content. */
export type GuardrailVerdict =
  | { action: 'allow' }
  | { action: 'redact'; messages?: Message[]; text?: string }
  | { action: 'deny'; reason: string };

/** What a guardrail sees: the input messages, or the answer's text for an output check. */
export interface GuardrailInput {
  tenant: string;
  user: string | undefined;
  stage: 'input' | 'output';
  messages: readonly Message[];
  /** The answer's text, for `output`. */
  text?: string;
}

/** A custom check, run per call where the tenant's policy lists it. */
export interface Guardrail {
  name: string;
  stage: 'input' | 'output';
  check(input: GuardrailInput): GuardrailVerdict | Promise<GuardrailVerdict>;
}

/**
 * A tenant's guardrails. With `pii` or `blockedTerms`, a call whose messages hold more than
 * 2 MiB of text (2,097,152 UTF-16 code units, about 500,000 tokens of prose) is refused as
 * `invalid_request`: scanning runs on the event loop, and this bounds how long it holds it.
 */
export interface Guardrails {
  /** Find PII in the input: `redact` replaces each with a typed placeholder (`[EMAIL]`), `deny` refuses the call. */
  pii?: { action: 'redact' | 'deny'; types?: PiiType[] };
  /**
   * Terms refused in the input and the output, case-insensitive (Unicode simple case folding,
   * no normalization). Any string works and is matched literally; a term that starts (ends)
   * with a letter, digit, mark or `_` must start (end) on a word boundary (`ass` passes
   * `class`); whitespace inside a term matches any run of whitespace. A term made only of
   * whitespace is refused as `invalid_config` when the policy is set.
   */
  blockedTerms?: string[];
  /** Refuse inputs estimated above this many tokens. */
  maxInputTokens?: number;
  /** The answer must be JSON matching this JSON Schema, or parse with this zod schema (`{ safeParse }`). */
  outputSchema?: JSONSchema | { safeParse(value: unknown): { success: boolean } };
  custom?: Guardrail[];
}

/**
 * A hard spending cap. Before a call, the estimated cost of its planned attempt (an upper
 * bound) is reserved; after it, the actual cost replaces the reservation; a failed or
 * aborted call releases it. Concurrent calls cannot push spend past `limitUsd`.
 */
export interface BudgetSpec {
  /** At most 1,000,000,000 USD. */
  limitUsd: number;
  /** UTC calendar period (weeks start on Monday), or `total` for a cap that never resets. */
  period: 'hour' | 'day' | 'week' | 'month' | 'total';
  /**
   * When a call does not fit: `deny` (default) fails it with `budget_exceeded`; `downgrade`
   * routes it to the ranked candidates that still fit the remaining budget.
   */
  onExceeded?: 'deny' | 'downgrade';
  /** Spend shares (0..1] at which `budget.threshold` fires, once each per period: `[0.5, 0.8, 1]`. */
  alertAt?: number[];
}

/** Per-tenant rate limits. */
export interface RateLimitSpec {
  requestsPerMinute?: number;
  /** Estimated input plus max output tokens are taken before the call, settled with the reported usage after it. */
  tokensPerMinute?: number;
  /** Over the limit: `reject` (default) with `rate_limited` and `retryAfterMs`, or `wait` within the call's deadline. */
  onLimit?: 'reject' | 'wait';
}

/** A model-name test compiled once per policy: exact ids and globs (`gpt-5*`, `*-mini`). */
export type ModelMatcher = (modelId: string) => boolean;

/**
 * The policy in force for a tenant: defaults ← tier ← tenant merged, plus what can be
 * computed once (compiled globs). Rebuilt when the tenant, its tier or the defaults change.
 */
export interface EffectivePolicy extends Omit<TenantPolicy, 'strategy' | 'systemPrompt'> {
  readonly strategy: StrategyName;
  /** The tenant's system prompt template, compiled. */
  readonly systemPrompt: CompiledTemplate | undefined;
  readonly allows: ModelMatcher | undefined;
  readonly denies: ModelMatcher | undefined;
  /** Per role: its allowed-models matcher. A role the map does not name adds no restriction. */
  readonly roleAllows: ReadonlyMap<string, ModelMatcher>;
  /** The router's catalog with the tenant's own `models` laid over it; undefined when it has none. */
  readonly catalog: ReadonlyMap<string, ResolvedModel> | undefined;
  /** Unique per compiled policy: changes whenever the policy (or its defaults or tier) changes. */
  readonly version: number;
  /**
   * The same for the same merged policy on every instance (see `policyFingerprint`):
   * part of the answer cache's key, so a shared cache is shared.
   */
  readonly fingerprint: string;
  /** `guardrails.blockedTerms`, compiled; undefined without terms. */
  readonly termMatcher: TermMatcher | undefined;
  /** `guardrails.outputSchema` as a validator; undefined without a schema. */
  readonly outputParser: SafeParser | undefined;
}

/** Fields merged one level deep; every other field (arrays included) is replaced whole. */
const NESTED_FIELDS: ReadonlySet<string> = new Set([
  'roles',
  'credentials',
  'budget',
  'userBudget',
  'tagBudgets',
  'rateLimit',
  'guardrails',
  'cache',
]);

/**
 * Merges policy layers left to right: later layers win field by field, and the nested
 * objects in `NESTED_FIELDS` merge their own fields. `undefined` never overrides.
 */
export function mergePolicies(...layers: (Partial<TenantPolicy> | undefined)[]): TenantPolicy {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const prev = out[key];
      out[key] =
        NESTED_FIELDS.has(key) && isPlainObject(prev) && isPlainObject(value) ? { ...prev, ...value } : value;
    }
  }
  return out as TenantPolicy;
}

/** The `roleAllows` of every policy without roles: one map, not an empty one per tenant. */
const NO_ROLES: ReadonlyMap<string, ModelMatcher> = new Map();

/**
 * Compiles a merged policy: globs to matchers, the prompt template, the default strategy.
 * Throws a plain Error naming `where` for a template with an unknown placeholder.
 * `fingerprint`, when the caller has it already, is `policyFingerprint(policy)`.
 */
export function compilePolicy(
  policy: TenantPolicy,
  version: number,
  where = 'policy',
  catalogFor?: (models: readonly ModelSpec[]) => ReadonlyMap<string, ResolvedModel>,
  fingerprint = policyFingerprint(policy),
): EffectivePolicy {
  const { blockedTerms, outputSchema } = policy.guardrails ?? {};
  let roleAllows = NO_ROLES;
  if (policy.roles && Object.keys(policy.roles).length > 0) {
    const roles = new Map<string, ModelMatcher>();
    for (const [role, spec] of Object.entries(policy.roles))
      roles.set(role, compileMatcher(spec.allowedModels));
    roleAllows = roles;
  }
  return {
    ...policy,
    strategy: policy.strategy ?? (policy.model !== undefined ? 'force_model' : 'balanced'),
    systemPrompt:
      policy.systemPrompt === undefined
        ? undefined
        : compileTemplate(policy.systemPrompt, `${where}.systemPrompt`),
    allows: policy.allowedModels ? compileMatcher(policy.allowedModels) : undefined,
    denies: policy.deniedModels ? compileMatcher(policy.deniedModels) : undefined,
    roleAllows,
    catalog: policy.models && catalogFor ? catalogFor(policy.models) : undefined,
    version,
    fingerprint,
    termMatcher: blockedTerms ? compileBlockedTerms(blockedTerms) : undefined,
    outputParser: outputSchema === undefined ? undefined : compileOutputSchema(outputSchema),
  };
}

/** `*` matches any run of characters, `?` one; everything else is literal. */
export function compileMatcher(patterns: readonly string[]): ModelMatcher {
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  for (const pattern of patterns) {
    if (/[*?]/.test(pattern)) {
      const source = pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.');
      globs.push(new RegExp(`^${source}$`));
    } else exact.add(pattern);
  }
  if (globs.length === 0) return (id) => exact.has(id);
  return (id) => exact.has(id) || globs.some((g) => g.test(id));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
