/** A capability a request may need from a model. */
export type ModelCapability = 'tools' | 'vision' | 'json';

/**
 * A model a router can route to. `id` is the name tenants and requests use; `model` is the
 * provider's own name for it (default: `id`), so a tenant-facing alias can point at a
 * fine-tuned or self-hosted model.
 */
export interface ModelSpec {
  id: string;
  /** The provider entry name in `createRouter({ providers })`. */
  provider: string;
  model?: string;
  /** Where the model is served (`us`, `eu`…), matched against a tenant's `allowedRegions`. */
  region?: string;
  /** USD per million tokens. */
  pricing: { inputPerMTok: number; outputPerMTok: number; cachedInputPerMTok?: number };
  contextWindow?: number;
  maxOutputTokens?: number;
  /** 0..1, higher is better; see the catalog notes for the built-in scores. */
  quality?: number;
  capabilities?: ModelCapability[];
}

/** A catalog entry with every default filled in, prices per token: what strategies and middleware see. */
export interface ResolvedModel {
  readonly id: string;
  readonly provider: string;
  readonly upstream: string;
  readonly region: string | undefined;
  readonly inputPerToken: number;
  readonly outputPerToken: number;
  readonly cachedInputPerToken: number;
  readonly contextWindow: number;
  readonly maxOutputTokens: number;
  readonly quality: number;
  readonly capabilities: ReadonlySet<ModelCapability>;
}
