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
  const { pricing } = spec;
  // USD per million tokens is pico-USD per token times 1e-6: exact for any price quoted to
  // the millionth of a dollar per million tokens; a finer one is rounded up, so that
  // estimates stay upper bounds and a price above zero never becomes free.
  const pico = (perMTok: number) => Math.max(0, Math.ceil(perMTok * 1_000_000 - 1e-6));
  const cacheWrite = pricing.cacheWritePerMTok ?? pricing.inputPerMTok;
  return {
    id: spec.id,
    provider: spec.provider,
    upstream: spec.model ?? spec.id,
    region: spec.region,
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
  };
}
