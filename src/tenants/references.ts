import { completeSpec, type ProviderRegions, specProblem } from '../catalog/catalog.js';
import { BUILTIN_MODELS } from '../catalog/models.js';
import type { ModelSpec, ResolvedModel } from '../catalog/types.js';
import { closest, globDistance } from '../config/suggest.js';
import { compileMatcher, type TenantPolicy } from '../pipeline/policy.js';
import { compileOutputSchema } from '../stages/guardrails/output-schema.js';

/** The models a policy can see: their ids, and the regions each is served from (one per deployment). */
interface ModelView {
  readonly ids: readonly string[];
  readonly regionOf: ReadonlyMap<string, readonly (string | undefined)[]>;
  readonly regions: ReadonlySet<string>;
}

const isGlob = (pattern: string) => pattern.includes('*') || pattern.includes('?');

/**
 * Checks what a policy names against one router: providers (of its own models and its
 * credentials), model ids and globs (`model`, `fallbacks`, `split`, allow, deny and role
 * lists) and regions (`allowedRegions`). Built once per router; a policy is checked where it
 * enters (createRouter, `tenants.set`, a load from an async source), never on a call.
 *
 * A model the policy names must be in the router's catalog (the built-in models of the
 * configured provider entries, then `createRouter({ models })`) or in the tenant-owned
 * `models` the policy sees. A deny list may also name a built-in model whose provider entry
 * is not configured: denying it is harmless, and one deny list can then serve routers
 * configured with different providers. A glob must match at least one of those models: one
 * that matches nothing is a typo, and in a deny list it denies nothing.
 */
export class PolicyReferences {
  private readonly configured: string;
  private readonly router: ModelView;
  /** Built-in models whose provider entry is not configured, by id (ids the router's models took are not here). */
  private readonly unconfigured = new Map<string, ModelSpec>();

  private readonly providers: ReadonlySet<string>;

  constructor(
    private readonly regions: ProviderRegions,
    catalog: ReadonlyMap<string, ResolvedModel>,
  ) {
    this.providers = new Set(regions.keys());
    this.configured = [...this.providers].join(', ');
    const regionOf = new Map(
      [...catalog.values()].map((m) => [m.id, m.deployments.map((d) => d.region)] as const),
    );
    this.router = view(regionOf);
    for (const spec of BUILTIN_MODELS) {
      if (!this.providers.has(spec.provider!) && !catalog.has(spec.id)) this.unconfigured.set(spec.id, spec);
    }
  }

  /**
   * The first problem with what `policy` names, as a message naming the field under
   * `where` (`tenants.acme.allowedModels[1] 'claude-sonet-5-5' is not in the model catalog:
   * did you mean 'claude-sonnet-5-5'?`), or undefined. `own` are the tenant-owned models
   * the policy sees: its own `models`, or those it inherits from its tier or the defaults.
   */
  problem(policy: Partial<TenantPolicy>, where: string, own: readonly ModelSpec[] = []): string | undefined {
    for (const [i, model] of (policy.models ?? []).entries()) {
      const problem = specProblem(model, `${where}.models[${i}]`, this.providers);
      if (problem !== undefined) return problem;
    }
    for (const provider of Object.keys(policy.credentials ?? {})) {
      if (!this.providers.has(provider)) {
        return `${where}.credentials.${provider} names no configured provider (configured: ${this.configured})`;
      }
    }
    const models = this.viewWith(own);
    const problem =
      this.namedModelsProblem(policy, where, models) ??
      this.listsProblem(policy, where, models) ??
      this.regionsProblem(policy, where, models);
    if (problem !== undefined) return problem;
    const schema = policy.guardrails?.outputSchema;
    if (schema !== undefined) {
      try {
        compileOutputSchema(schema);
      } catch (error) {
        return `${where}.guardrails.outputSchema cannot be used as a JSON Schema: ${(error as Error).message}`;
      }
    }
    return undefined;
  }

  /** `model`, `fallbacks` and `split`: exact ids the policy routes to. */
  private namedModelsProblem(
    policy: Partial<TenantPolicy>,
    where: string,
    models: ModelView,
  ): string | undefined {
    const known = (id: string) => models.regionOf.has(id);
    if (policy.model !== undefined && !known(policy.model)) {
      return this.unknownModel(`${where}.model`, policy.model, models);
    }
    for (const [i, id] of (policy.fallbacks ?? []).entries()) {
      if (!known(id)) return this.unknownModel(`${where}.fallbacks[${i}]`, id, models);
    }
    for (const [i, arm] of (policy.split ?? []).entries()) {
      if (!known(arm.model)) return this.unknownModel(`${where}.split[${i}].model`, arm.model, models);
    }
    return undefined;
  }

  /** Allow, role and deny lists: ids and globs. */
  private listsProblem(policy: Partial<TenantPolicy>, where: string, models: ModelView): string | undefined {
    for (const [i, pattern] of (policy.allowedModels ?? []).entries()) {
      const problem = this.allowProblem(`${where}.allowedModels[${i}]`, pattern, models);
      if (problem !== undefined) return problem;
    }
    for (const [role, spec] of Object.entries(policy.roles ?? {})) {
      for (const [i, pattern] of spec.allowedModels.entries()) {
        const problem = this.allowProblem(`${where}.roles.${role}.allowedModels[${i}]`, pattern, models);
        if (problem !== undefined) return problem;
      }
    }
    for (const [i, pattern] of (policy.deniedModels ?? []).entries()) {
      const problem = this.denyProblem(`${where}.deniedModels[${i}]`, pattern, models);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }

  private regionsProblem(
    policy: Partial<TenantPolicy>,
    where: string,
    models: ModelView,
  ): string | undefined {
    for (const [i, region] of (policy.allowedRegions ?? []).entries()) {
      if (models.regions.has(region)) continue;
      const path = `${where}.allowedRegions[${i}]`;
      const elsewhere = this.unconfiguredProviders((m) => m.region === region);
      if (elsewhere !== undefined) {
        return `${path} '${region}' is served only by models of provider entries that are not configured (${elsewhere}; configured: ${this.configured})`;
      }
      const served = [...models.regions].sort();
      const near = closest(region, served);
      return (
        `${path} '${region}' is not a region any model is served from ` +
        (served.length > 0 ? `(served: ${served.join(', ')})` : '(no model declares a region)') +
        (near !== undefined ? `: did you mean '${near}'?` : '')
      );
    }
    return undefined;
  }

  private allowProblem(path: string, pattern: string, models: ModelView): string | undefined {
    if (!isGlob(pattern)) {
      return models.regionOf.has(pattern) ? undefined : this.unknownModel(path, pattern, models);
    }
    const matches = compileMatcher([pattern]);
    if (models.ids.some(matches)) return undefined;
    const elsewhere = this.unconfiguredProviders((m) => matches(m.id));
    if (elsewhere !== undefined) {
      return `${path} '${pattern}' matches only models of provider entries that are not configured (${elsewhere}; configured: ${this.configured})`;
    }
    return `${path} '${pattern}' matches no model in the catalog${nearest(pattern, models)}`;
  }

  private denyProblem(path: string, pattern: string, models: ModelView): string | undefined {
    if (!isGlob(pattern)) {
      if (models.regionOf.has(pattern) || this.unconfigured.has(pattern)) return undefined;
      const near = closest(pattern, models.ids);
      return `${path} '${pattern}' is not in the model catalog, so it denies nothing${near !== undefined ? `: did you mean '${near}'?` : ''}`;
    }
    const matches = compileMatcher([pattern]);
    if (models.ids.some(matches) || [...this.unconfigured.keys()].some(matches)) return undefined;
    return `${path} '${pattern}' matches no model, so it denies nothing${nearest(pattern, models)}`;
  }

  /** An exact id the router does not know: a model of an unconfigured provider entry, or a typo. */
  private unknownModel(path: string, id: string, models: ModelView): string {
    const builtin = this.unconfigured.get(id);
    if (builtin !== undefined) {
      return `${path} '${id}' is served by provider entry '${builtin.provider}', which is not configured (configured: ${this.configured}): add providers.${builtin.provider} or name another model`;
    }
    const near = closest(id, models.ids);
    return near !== undefined
      ? `${path} '${id}' is not in the model catalog: did you mean '${near}'?`
      : `${path} '${id}' is not in the model catalog: use a catalog id, or add the model to createRouter({ models }) or the policy's models`;
  }

  /** The provider entries, not configured, of the built-in models that pass `test`; undefined when none. */
  private unconfiguredProviders(test: (model: ModelSpec) => boolean): string | undefined {
    const names = new Set<string>();
    for (const model of this.unconfigured.values()) if (test(model)) names.add(model.provider!);
    return names.size > 0 ? [...names].join(', ') : undefined;
  }

  /** The router's models with `own` laid over them (an own model with a catalog id replaces it). */
  private viewWith(own: readonly ModelSpec[]): ModelView {
    if (own.length === 0) return this.router;
    const regionOf = new Map(this.router.regionOf);
    for (const spec of own) {
      const full = completeSpec(spec);
      const deployments = full.deployments ?? [{ provider: full.provider ?? '', region: full.region }];
      regionOf.set(
        spec.id,
        deployments.map((d) => d.region ?? this.regions.get(d.provider)),
      );
    }
    return view(regionOf);
  }
}

function view(regionOf: ReadonlyMap<string, readonly (string | undefined)[]>): ModelView {
  const regions = new Set<string>();
  for (const served of regionOf.values())
    for (const region of served) if (region !== undefined) regions.add(region);
  return { ids: [...regionOf.keys()], regionOf, regions };
}

/** `: the nearest is 'gpt-6-luna'` for a glob that matches nothing, or '' when no model is near. */
function nearest(pattern: string, models: ModelView): string {
  const near = closest(pattern, models.ids, globDistance);
  return near !== undefined ? `; the nearest is '${near}'` : '';
}
