import { LRUCache } from 'lru-cache';
import type { ModelSpec, ResolvedModel } from '../catalog/types.js';
import { describeIssues, TenantPolicySchema } from '../config/schema.js';
import { closest } from '../config/suggest.js';
import { RouterError } from '../errors.js';
import { compilePolicy, type EffectivePolicy, mergePolicies, type TenantPolicy } from '../pipeline/policy.js';
import { policyFingerprint } from '../pipeline/policy-fingerprint.js';
import { compileTemplate } from '../pipeline/template.js';

/** An async tenant source: a database, a config service. `undefined` means unknown. */
export interface TenantSource {
  get(id: string): Promise<TenantPolicy | undefined> | TenantPolicy | undefined;
}

export interface TenantRegistryOptions {
  source: Record<string, TenantPolicy> | TenantSource | undefined;
  defaults: Partial<TenantPolicy> | undefined;
  tiers: Record<string, Partial<TenantPolicy>> | undefined;
  /** A tenant id whose policy serves ids no source knows. */
  defaultTenant: string | undefined;
  /** How long a policy read from an async source is kept. Default 60 s. */
  ttlMs: number;
  maxCached?: number;
  /** The router's catalog with a tenant's own models laid over it. */
  catalogFor?: (models: readonly ModelSpec[]) => ReadonlyMap<string, ResolvedModel>;
  /**
   * Checks what a policy refers to (providers, models, regions) against the router, with
   * `own` the tenant-owned models it sees (its own, or its tier's or the defaults'); returns
   * a problem naming the field under `where`, or undefined.
   */
  check?: (policy: Partial<TenantPolicy>, where: string, own: readonly ModelSpec[]) => string | undefined;
}

/** Which layer of the effective policy a policy is: what it may name (a tier) and which models it sees. */
type Layer = 'defaults' | 'tier' | 'tenant';

/**
 * `router.tenants`: read and replace tenant policies at run time. A `set` is validated,
 * replaces the tenant's policy whole (no merge with the old one), and applies to the next
 * call; calls in flight keep the policy they started with.
 */
export interface TenantAdmin {
  /** The policy as set or configured (not merged with defaults and tier). */
  get(id: string): Promise<TenantPolicy | undefined>;
  /** Validates and installs a policy; throws `invalid_config` naming the field. */
  set(id: string, policy: TenantPolicy): void;
  /** Removes the tenant's policy; its next call is `tenant_not_found` (or the default tenant's). */
  delete(id: string): boolean;
}

/**
 * A configured tenant that has called: its policy as set, and its compiled effective
 * policy. It replaces the policy in the registry's map, so an active tenant costs one small
 * object more than an idle one, not a second map entry and key.
 */
class ActiveTenant {
  constructor(
    readonly policy: TenantPolicy,
    readonly effective: EffectivePolicy,
  ) {}
}

/** Interned compiled policies kept beyond those in use before a prune (see `TenantRegistry.intern`). */
const INTERN_SLACK = 256;
/** Distinct `allowedRegions` lists kept for sharing; past it, the table starts again. */
const MAX_REGION_LISTS = 1_024;

/**
 * Resolves tenant ids to compiled effective policies, caching them until a change.
 *
 * Memory: an idle configured tenant costs its policy (as given) and a map entry; an active
 * one adds a reference to its compiled policy. Tenants whose effective policy is the same
 * (the defaults, a tier, a template filled alike) share one compiled policy, found by its
 * fingerprint: see `intern`.
 */
export class TenantRegistry implements TenantAdmin {
  /** Configured tenants: the policy as set, or once it has been compiled, an `ActiveTenant`. */
  private readonly local = new Map<string, TenantPolicy | ActiveTenant>();
  private readonly deleted = new Set<string>();
  /** Compiled policies made only of data, by fingerprint: shared by every tenant whose merged policy is equal. */
  private readonly interned = new Map<string, EffectivePolicy>();
  /** Prune `interned` when it holds more entries than this. */
  private internLimit = INTERN_SLACK;
  /** One array per distinct `allowedRegions` list, so per-list memos (access stage) are per list, not per tenant. */
  private readonly regionLists = new Map<string, string[]>();
  /** Counts compiled policies: each gets its own `version`. */
  private versions = 0;
  private readonly remote: TenantSource | undefined;
  private readonly remoteCache: LRUCache<string, { policy: EffectivePolicy | null }> | undefined;

  constructor(private readonly options: TenantRegistryOptions) {
    if (options.defaults) this.checkPolicy(options.defaults, 'defaults', 'defaults');
    for (const [name, tier] of Object.entries(options.tiers ?? {}))
      this.checkPolicy(tier, `tiers.${name}`, 'tier');
    const source = options.source;
    if (source && typeof (source as TenantSource).get === 'function') {
      this.remote = source as TenantSource;
      this.remoteCache = new LRUCache({ max: options.maxCached ?? 10_000, ttl: Math.max(1, options.ttlMs) });
    } else if (source) {
      for (const [id, policy] of Object.entries(source as Record<string, TenantPolicy>)) {
        this.checkPolicy(policy, `tenants.${id}`, 'tenant');
        this.local.set(id, policy);
      }
    }
  }

  /** The effective policy of `id`; `tenant_not_found` when nothing knows it. */
  resolve(id: string): EffectivePolicy | Promise<EffectivePolicy> {
    const own = this.local.get(id);
    if (own instanceof ActiveTenant) return own.effective;
    if (own) return this.compile(id, own);
    if (this.remote && !this.deleted.has(id)) return this.resolveRemote(id);
    return this.fallback(id);
  }

  async get(id: string): Promise<TenantPolicy | undefined> {
    const entry = this.local.get(id);
    const own = entry instanceof ActiveTenant ? entry.policy : entry;
    if (own || !this.remote || this.deleted.has(id)) return own;
    return (await this.remote.get(id)) ?? undefined;
  }

  set(id: string, policy: TenantPolicy): void {
    if (typeof id !== 'string' || id.length === 0) {
      throw new RouterError('invalid_config', 'router.tenants.set: the tenant id must be a non-empty string');
    }
    const parsed = TenantPolicySchema.safeParse(policy);
    if (!parsed.success) {
      throw new RouterError(
        'invalid_config',
        `tenant '${id}' policy is invalid: ${describeIssues(parsed.error, `tenants.${id}`)}`,
        {
          tenant: id,
        },
      );
    }
    this.checkPolicy(parsed.data, `tenants.${id}`, 'tenant', { tenant: id });
    // Replacing the entry drops the tenant's compiled policy: its next call compiles the new one.
    // Tenants that fall back to the default tenant compile nothing of their own.
    this.local.set(id, parsed.data);
    this.deleted.delete(id);
    this.remoteCache?.delete(id);
  }

  delete(id: string): boolean {
    const existed = this.local.delete(id);
    this.remoteCache?.delete(id);
    if (this.remote) this.deleted.add(id);
    return existed || this.remote !== undefined;
  }

  private compile(id: string, policy: TenantPolicy): EffectivePolicy {
    const effective = this.effective(policy);
    this.local.set(id, new ActiveTenant(policy, effective));
    return effective;
  }

  /** defaults ← tier ← tenant, compiled; or the compiled policy of an equal one already compiled. */
  private effective(policy: TenantPolicy): EffectivePolicy {
    const { defaults, tiers } = this.options;
    const tier = policy.tier ?? defaults?.tier;
    const merged = mergePolicies(defaults, tier === undefined ? undefined : tiers?.[tier], policy);
    if (merged.allowedRegions) merged.allowedRegions = this.regionList(merged.allowedRegions);
    return this.intern(merged);
  }

  /**
   * The compiled policy of `merged`, shared with every tenant whose merged policy is equal.
   * Only a policy made of data alone is shared (see `isPlainData`): its fingerprint then
   * says all of it, where a policy with functions (custom guardrails), class instances (a
   * zod schema) or credentials (whose keys the fingerprint leaves out) is compiled for its
   * tenant alone. A compiled policy holds nothing of a tenant: its id comes with each call.
   * The table is pruned of policies no tenant uses when it grows past twice what is in
   * use, so `set()` churn cannot grow it without end.
   */
  private intern(merged: TenantPolicy): EffectivePolicy {
    const { catalogFor } = this.options;
    if (!isPlainData(merged)) return compilePolicy(merged, ++this.versions, 'policy', catalogFor);
    const fingerprint = policyFingerprint(merged);
    const hit = this.interned.get(fingerprint);
    if (hit) return hit;
    const compiled = compilePolicy(merged, ++this.versions, 'policy', catalogFor, fingerprint);
    this.interned.set(fingerprint, compiled);
    if (this.interned.size > this.internLimit) this.pruneInterned();
    return compiled;
  }

  /** Drops the interned policies that no tenant (configured or from the source) uses. */
  private pruneInterned(): void {
    const inUse = new Set<EffectivePolicy>();
    for (const entry of this.local.values()) if (entry instanceof ActiveTenant) inUse.add(entry.effective);
    if (this.remoteCache) for (const { policy } of this.remoteCache.values()) if (policy) inUse.add(policy);
    for (const [fingerprint, policy] of this.interned)
      if (!inUse.has(policy)) this.interned.delete(fingerprint);
    this.internLimit = 2 * this.interned.size + INTERN_SLACK;
  }

  /** The one array of this `allowedRegions` list (same regions, same order). */
  private regionList(regions: string[]): string[] {
    const key = JSON.stringify(regions);
    let shared = this.regionLists.get(key);
    if (!shared) {
      if (this.regionLists.size >= MAX_REGION_LISTS) this.regionLists.clear();
      shared = Object.freeze([...regions]) as string[];
      this.regionLists.set(key, shared);
    }
    return shared;
  }

  /**
   * Refuses, as `invalid_config` naming the field, a policy whose template, tier or
   * references are wrong. `intro`, when given, goes before the problem.
   */
  private checkPolicy(
    policy: Partial<TenantPolicy>,
    where: string,
    layer: Layer,
    context: { tenant?: string; intro?: string } = {},
  ): void {
    const problem =
      templateProblem(policy, where) ??
      this.tierProblem(policy, where, layer) ??
      this.options.check?.(policy, where, this.modelsSeen(policy, layer));
    if (problem === undefined) return;
    throw new RouterError(
      'invalid_config',
      context.intro === undefined ? problem : `${context.intro}: ${problem}`,
      context.tenant === undefined ? undefined : { tenant: context.tenant },
    );
  }

  /** A tenant's (or the defaults') `tier` must name a configured tier; a tier names none. */
  private tierProblem(policy: Partial<TenantPolicy>, where: string, layer: Layer): string | undefined {
    const tier = policy.tier;
    if (tier === undefined) return undefined;
    if (layer === 'tier') return `${where}.tier: a tier cannot name a tier (tiers do not nest); remove it`;
    const tiers = this.options.tiers ?? {};
    if (Object.hasOwn(tiers, tier)) return undefined;
    const names = Object.keys(tiers);
    if (names.length === 0) {
      return `${where}.tier '${tier}' is not a configured tier: createRouter({ tiers }) defines none`;
    }
    const near = closest(tier, names);
    return `${where}.tier '${tier}' is not a configured tier (tiers: ${names.join(', ')})${near !== undefined ? `: did you mean '${near}'?` : ''}`;
  }

  /** The tenant-owned models a layer sees once merged: its own, else its tier's, else the defaults'. */
  private modelsSeen(policy: Partial<TenantPolicy>, layer: Layer): readonly ModelSpec[] {
    if (policy.models) return policy.models;
    if (layer === 'defaults') return [];
    const { defaults, tiers } = this.options;
    if (layer === 'tenant') {
      const tier = policy.tier ?? defaults?.tier;
      const inherited = tier === undefined ? undefined : tiers?.[tier]?.models;
      if (inherited) return inherited;
    }
    return defaults?.models ?? [];
  }

  private async resolveRemote(id: string): Promise<EffectivePolicy> {
    const cached = this.remoteCache!.get(id);
    if (cached) return cached.policy ?? this.fallback(id);
    let raw: TenantPolicy | undefined;
    try {
      raw = (await this.remote!.get(id)) ?? undefined;
    } catch (error) {
      throw new RouterError('tenant_not_found', `tenant '${id}' could not be loaded from the tenant source`, {
        tenant: id,
        cause: error,
        retryable: true,
      });
    }
    if (raw === undefined) {
      this.remoteCache!.set(id, { policy: null });
      return this.fallback(id);
    }
    const parsed = TenantPolicySchema.safeParse(raw);
    if (!parsed.success) {
      throw new RouterError(
        'invalid_config',
        `tenant '${id}' policy from the tenant source is invalid: ${describeIssues(parsed.error, `tenants.${id}`)}`,
        {
          tenant: id,
        },
      );
    }
    this.checkPolicy(parsed.data, `tenants.${id}`, 'tenant', {
      tenant: id,
      intro: `tenant '${id}' policy from the tenant source is invalid`,
    });
    const policy = this.effective(parsed.data);
    this.remoteCache!.set(id, { policy });
    return policy;
  }

  private fallback(id: string): EffectivePolicy | Promise<EffectivePolicy> {
    const fallbackId = this.options.defaultTenant;
    if (fallbackId !== undefined && fallbackId !== id) return this.resolve(fallbackId);
    throw new RouterError(
      'tenant_not_found',
      `tenant '${id}' is not configured: add it to createRouter({ tenants }) or router.tenants.set(), or set defaultTenant`,
      { tenant: id },
    );
  }

  /** Drops every compiled policy: after a change of defaults or tiers. */
  invalidate(): void {
    for (const [id, entry] of this.local) if (entry instanceof ActiveTenant) this.local.set(id, entry.policy);
    this.interned.clear();
    this.internLimit = INTERN_SLACK;
    this.remoteCache?.clear();
  }
}

/**
 * True when `value` is data alone: plain objects, arrays (of defined items), strings,
 * booleans, finite numbers, null. A merged policy that is has a fingerprint that is the same exactly when
 * the policy is (see `TenantRegistry.intern`); `credentials` count as not data, since the
 * fingerprint keeps only their ids.
 */
function isPlainData(value: unknown, depth = 0): boolean {
  if (value === null || value === undefined) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (depth > 32) return false;
      if (Array.isArray(value)) {
        // No holes nor undefined items: the fingerprint writes them as null.
        for (let i = 0; i < value.length; i++)
          if (value[i] === undefined || !isPlainData(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const [key, field] of Object.entries(value)) {
        if (depth === 0 && key === 'credentials' && field !== undefined) return false;
        if (!isPlainData(field, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** Compiles a policy's prompt template now, so a bad placeholder is `invalid_config` where it is set. */
function templateProblem(policy: Partial<TenantPolicy>, where: string): string | undefined {
  if (policy.systemPrompt === undefined) return undefined;
  try {
    compileTemplate(policy.systemPrompt, `${where}.systemPrompt`);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
