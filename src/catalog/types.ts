/**
 * A capability a request may need from a model: `tools` (tool calls), `vision` (image
 * input), `json` (a JSON response format), `reasoning` (a reasoning effort or thinking
 * budget), `embeddings` (an embedding model: `router.embed()` routes only to models that
 * declare it, and chat calls never to a model that declares only it). `reasoning` is
 * accepted in specs; no request needs it yet.
 */
export type ModelCapability = 'tools' | 'vision' | 'json' | 'reasoning' | 'embeddings';

/**
 * One place a model is served from: a provider entry, the model's name there (default: the
 * model's `id`; on Azure, the deployment name), the region it serves from (default: the
 * provider entry's `region`), and its share of the model's load (`weight`, default 1).
 */
export interface DeploymentSpec {
  /** The provider entry name in `createRouter({ providers })`. */
  provider: string;
  model?: string;
  region?: string;
  weight?: number;
}

/**
 * A model a router can route to. `id` is the name tenants and requests use. It is served
 * by one deployment, given inline (`provider`, `model`: the provider's own name for it,
 * default `id`, so a tenant-facing alias can point at a fine-tuned or self-hosted model;
 * `region`), or by several (`deployments`), which share its load by weight and stand in
 * for each other. A spec with the id of a built-in model and no `pricing` extends that
 * entry (typically with `deployments`); with `pricing`, it replaces it.
 */
export interface ModelSpec {
  id: string;
  /** The provider entry name in `createRouter({ providers })`; or use `deployments`. */
  provider?: string;
  model?: string;
  /** Where the model is served (`us`, `eu`…), matched against a tenant's `allowedRegions`. */
  region?: string;
  /**
   * The deployments that serve the model, instead of `provider` / `model` / `region`. A
   * tenant's `allowedRegions` selects among them; within the model, healthy deployments
   * share the load by `weight`, and a failure another deployment can cure (rate limit,
   * overload, server error, timeout, connection, quota) tries the next deployment before
   * the next model.
   */
  deployments?: DeploymentSpec[];
  /**
   * USD per million tokens. `cachedInputPerMTok`: input read from the provider's prompt
   * cache (default: the input price). `cacheWritePerMTok`: input written to the cache with
   * the default 5-minute lifetime, and `cacheWrite1hPerMTok` with a 1-hour lifetime (default:
   * the 5-minute price, whose default is the input price). Anthropic bills writes at 1.25×
   * and 2× input; the built-in Claude entries say so.
   */
  pricing?: ModelPricing;
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
  /**
   * For an embedding model (`capabilities: ['embeddings']`): the length of its vectors, and
   * whether a request's `dimensions` may shorten them (`customDimensions`: OpenAI's
   * `text-embedding-3-*` take `dimensions`, Gemini `outputDimensionality`). A request with
   * `dimensions` goes only to models that can give that length: shortenable ones up to
   * `dimensions`, the others at exactly it. Left out: the length is not known, and a request
   * with `dimensions` is not routed to the model.
   */
  embedding?: EmbeddingSpec;
}

/** The vectors of an embedding model. See `ModelSpec.embedding`. */
export interface EmbeddingSpec {
  /** The length of the model's vectors (its default length, when it can give shorter ones). */
  dimensions: number;
  /** The model takes a shorter length per request. Default false. */
  customDimensions?: boolean;
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

/**
 * A catalog entry with every default filled in, prices per token: what strategies and
 * middleware see. It is also a view of one deployment: `provider`, `upstream`, `region`
 * and `weight` are that deployment's (for the catalog entry, its first deployment's), and
 * `deployments` lists every deployment of the model as such a view (a one-deployment model
 * lists itself).
 */
export interface ResolvedModel {
  readonly id: string;
  /** The provider entry of this deployment. */
  readonly provider: string;
  /** The model's name at that provider (on Azure, the deployment name). */
  readonly upstream: string;
  readonly region: string | undefined;
  /** This deployment's share of the model's load. */
  readonly weight: number;
  /** Every deployment of the model (the ones a call may use, after `allowedRegions`). */
  readonly deployments: readonly ResolvedModel[];
  /** Prices per token, in integer pico-USD. */
  readonly prices: TokenPrices;
  readonly contextWindow: number;
  readonly maxOutputTokens: number;
  readonly quality: number;
  /** The declared capabilities; undefined when the spec left them out (not restricted). */
  readonly capabilities: ReadonlySet<ModelCapability> | undefined;
  /** For an embedding model: its vectors, as its spec declares them. */
  readonly embedding: EmbeddingSpec | undefined;
}
