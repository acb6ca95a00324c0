import { BUILTIN_MODELS } from './models.js';
import type { ModelSpec, ResolvedModel } from './types.js';

/** Defaults for what a user-supplied ModelSpec leaves out. */
const DEFAULT_CONTEXT_WINDOW = 128_000;
const DEFAULT_MAX_OUTPUT = 4_096;
const DEFAULT_QUALITY = 0.5;

/** The region each configured provider entry serves from (`providers.<name>.region`), by entry name. */
export type ProviderRegions = ReadonlyMap<string, string | undefined>;

const BUILTIN_BY_ID = new Map(BUILTIN_MODELS.map((spec) => [spec.id, spec] as const));

/**
 * Builds the router's catalog: the built-in models whose provider is configured, then the
 * user's `models`, which add, extend (a built-in id without `pricing`) or replace entries by
 * id. Entries in id order, so every ranking that ties falls back to a stable order.
 */
export function buildCatalog(
  userModels: readonly ModelSpec[],
  providers: ProviderRegions,
): Map<string, ResolvedModel> {
  const byId = new Map<string, ModelSpec>();
  for (const spec of BUILTIN_MODELS) if (providers.has(spec.provider!)) byId.set(spec.id, spec);
  for (const spec of userModels) byId.set(spec.id, completeSpec(spec));
  const ids = [...byId.keys()].sort();
  return new Map(ids.map((id) => [id, resolveModel(byId.get(id)!, providers)]));
}

/**
 * A user's spec, completed from the built-in entry of its id when it has no `pricing`:
 * what it leaves out comes from there, and its deployments (or its inline provider) replace
 * the built-in one. A spec with `pricing`, or with an id that is not built in, is as given.
 */
export function completeSpec(spec: ModelSpec): ModelSpec {
  if (spec.pricing !== undefined) return spec;
  const builtin = BUILTIN_BY_ID.get(spec.id);
  if (!builtin) return spec;
  const { provider, model, region, ...rest } = builtin;
  const served = spec.provider === undefined && spec.deployments === undefined;
  return { ...rest, ...(served && { provider, model, region }), ...spec };
}

/**
 * Resolves a (complete) spec: every default filled in, prices per token, one view per
 * deployment. Returns the first deployment's view, which is the catalog entry. A deployment's
 * region is its own, else the inline `region`, else its provider entry's (`providers`).
 */
export function resolveModel(spec: ModelSpec, providers?: ProviderRegions): ResolvedModel {
  const pricing = spec.pricing!;
  // USD per million tokens is pico-USD per token times 1e-6: exact for any price quoted to
  // the millionth of a dollar per million tokens; a finer one is rounded up, so that
  // estimates stay upper bounds and a price above zero never becomes free.
  const pico = (perMTok: number) => Math.max(0, Math.ceil(perMTok * 1_000_000 - 1e-6));
  const cacheWrite = pricing.cacheWritePerMTok ?? pricing.inputPerMTok;
  const base = {
    id: spec.id,
    prices: {
      input: pico(pricing.inputPerMTok),
      output: pico(pricing.outputPerMTok),
      cachedInput: pico(pricing.cachedInputPerMTok ?? pricing.inputPerMTok),
      cacheWrite: pico(cacheWrite),
      cacheWrite1h: pico(pricing.cacheWrite1hPerMTok ?? cacheWrite),
    },
    contextWindow: spec.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
    maxOutputTokens: spec.maxOutputTokens ?? DEFAULT_MAX_OUTPUT,
    quality: spec.quality ?? DEFAULT_QUALITY,
    // Left out is "not known", not "none": only a declared list restricts.
    capabilities: spec.capabilities === undefined ? undefined : new Set(spec.capabilities),
    embedding: spec.embedding,
  };
  const specs = spec.deployments ?? [{ provider: spec.provider!, model: spec.model, region: spec.region }];
  const deployments: ResolvedModel[] = [];
  for (const d of specs) {
    deployments.push({
      ...base,
      provider: d.provider,
      upstream: d.model ?? spec.id,
      region: d.region ?? providers?.get(d.provider),
      weight: d.weight ?? 1,
      deployments,
    });
  }
  return deployments[0]!;
}

/**
 * What is wrong with a model spec against the configured provider entries, for an
 * `invalid_config` message at `where` (`models[2]`), or undefined. Checks the spec as
 * completed (see `completeSpec`): one form of serving (inline or `deployments`), a price,
 * and provider entries that exist.
 */
export function specProblem(
  spec: ModelSpec,
  where: string,
  providers: ReadonlySet<string>,
): string | undefined {
  if (spec.provider !== undefined && spec.deployments !== undefined) {
    return `${where} gives both provider and deployments: list the provider as one of its deployments`;
  }
  const full = completeSpec(spec);
  if (full.pricing === undefined) {
    return `${where}.pricing is required: '${spec.id}' is not a built-in model`;
  }
  const configured = () => [...providers].join(', ');
  if (full.deployments === undefined) {
    if (full.provider === undefined) return `${where} needs a provider (or deployments)`;
    if (!providers.has(full.provider)) {
      return `${where}.provider '${full.provider}' is not a configured provider (configured: ${configured()})`;
    }
    return undefined;
  }
  for (const [i, d] of full.deployments.entries()) {
    if (!providers.has(d.provider)) {
      return `${where}.deployments[${i}].provider '${d.provider}' is not a configured provider (configured: ${configured()})`;
    }
  }
  return undefined;
}
