import { BUILTIN_MODELS } from './models.js';
import type { ModelSpec, ResolvedModel } from './types.js';

/** Defaults for what a user-supplied ModelSpec leaves out. */
const DEFAULT_CONTEXT_WINDOW = 128_000;
const DEFAULT_MAX_OUTPUT = 4_096;
const DEFAULT_QUALITY = 0.5;

/**
 * Builds the router's catalog: the built-in models whose provider is configured, then the
 * user's `models`, which add or replace entries by id. Entries in id order, so every ranking
 * that ties falls back to a stable order.
 */
export function buildCatalog(
  userModels: readonly ModelSpec[],
  providers: ReadonlySet<string>,
): Map<string, ResolvedModel> {
  const byId = new Map<string, ModelSpec>();
  for (const spec of BUILTIN_MODELS) if (providers.has(spec.provider)) byId.set(spec.id, spec);
  for (const spec of userModels) byId.set(spec.id, spec);
  const ids = [...byId.keys()].sort();
  return new Map(ids.map((id) => [id, resolveModel(byId.get(id)!)]));
}

export function resolveModel(spec: ModelSpec): ResolvedModel {
  const perToken = (perMTok: number) => perMTok / 1_000_000;
  return {
    id: spec.id,
    provider: spec.provider,
    upstream: spec.model ?? spec.id,
    region: spec.region,
    inputPerToken: perToken(spec.pricing.inputPerMTok),
    outputPerToken: perToken(spec.pricing.outputPerMTok),
    cachedInputPerToken: perToken(spec.pricing.cachedInputPerMTok ?? spec.pricing.inputPerMTok),
    contextWindow: spec.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
    maxOutputTokens: spec.maxOutputTokens ?? DEFAULT_MAX_OUTPUT,
    quality: spec.quality ?? DEFAULT_QUALITY,
    // Left out is "not known", not "none": only a declared list restricts.
    capabilities: spec.capabilities === undefined ? undefined : new Set(spec.capabilities),
  };
}
