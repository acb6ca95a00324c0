import type { z } from 'zod';
import type { TenantPolicySchema } from '../config/schema.js';
import type { StrategyName } from '../types.js';
import { type CompiledTemplate, compileTemplate } from './template.js';

/** A tenant's policy, as written in config or `router.tenants.set()`. See the README's "Tenant policy". */
export type TenantPolicy = z.input<typeof TenantPolicySchema>;

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
}

/** Fields merged one level deep; every other field (arrays included) is replaced whole. */
const NESTED_FIELDS: ReadonlySet<string> = new Set(['roles', 'credentials']);

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

/**
 * Compiles a merged policy: globs to matchers, the prompt template, the default strategy.
 * Throws a plain Error naming `where` for a template with an unknown placeholder.
 */
export function compilePolicy(policy: TenantPolicy, where = 'policy'): EffectivePolicy {
  const roleAllows = new Map<string, ModelMatcher>();
  for (const [role, spec] of Object.entries(policy.roles ?? {}))
    roleAllows.set(role, compileMatcher(spec.allowedModels));
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
