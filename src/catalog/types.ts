/**
 * A capability a request may need from a model: `tools` (tool calls), `vision` (image
 * input), `json` (a JSON response format), `reasoning` (a reasoning effort or thinking
 * budget), `embeddings` (an embedding model). `reasoning` and `embeddings` are accepted in
 * specs; no request needs them yet.
 */
export type ModelCapability = 'tools' | 'vision' | 'json' | 'reasoning' | 'embeddings';

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
  /**
   * USD per million tokens. `cachedInputPerMTok`: input read from the provider's prompt
   * cache (default: the input price). `cacheWritePerMTok`: input written to the cache with
   * the default 5-minute lifetime, and `cacheWrite1hPerMTok` with a 1-hour lifetime (default:
   * the 5-minute price, whose default is the input price). Anthropic bills writes at 1.25×
   * and 2× input; the built-in Claude entries say so.
   */
  pricing: ModelPricing;
  contextWindow?: number;
  maxOutputTokens?: number;
  /** 0..1, higher is better; see the catalog notes for the built-in scores. */
  quality?: number;
  /**
   * What the model supports. Left out means not known, hence not restricted: a request that
   * needs tools, images or JSON may still be sent to it, and the provider says if it cannot
   * (a self-hosted model added without this list takes tool calls). A declared list
   * restricts: a request that needs a capability the list leaves out is not routed to the
   * model (`explain()` gives the reason, `does not support tools`). `[]` declares none.
   * Every built-in model declares its list.
   */
  capabilities?: ModelCapability[];
}

/** USD per million tokens, by kind of token, each 0 to 1,000,000. See `ModelSpec.pricing`. */
export interface ModelPricing {
  inputPerMTok: number;
  outputPerMTok: number;
  cachedInputPerMTok?: number;
  cacheWritePerMTok?: number;
  cacheWrite1hPerMTok?: number;
}

/**
 * Prices per token in pico-USD (1e-12 USD), integers: every cost is computed exactly in
 * integers and rounded once, to the nano-dollar.
 */
export interface TokenPrices {
  readonly input: number;
  readonly output: number;
  readonly cachedInput: number;
  readonly cacheWrite: number;
  readonly cacheWrite1h: number;
}

/** A catalog entry with every default filled in, prices per token: what strategies and middleware see. */
export interface ResolvedModel {
  readonly id: string;
  readonly provider: string;
  readonly upstream: string;
  readonly region: string | undefined;
  /** Prices per token, in integer pico-USD. */
  readonly prices: TokenPrices;
  readonly contextWindow: number;
  readonly maxOutputTokens: number;
  readonly quality: number;
  /** The declared capabilities; undefined when the spec left them out (not restricted). */
  readonly capabilities: ReadonlySet<ModelCapability> | undefined;
}
