import type { ProviderError } from '../errors.js';
import type {
  FinishReason,
  Message,
  ReasoningOptions,
  ResponseFormat,
  Tool,
  ToolCall,
  ToolChoice,
  Usage,
} from '../types.js';

/** The wire families routeplane speaks. `openai-compatible` is OpenAI chat completions at another URL. */
export type ProviderType =
  | 'openai'
  | 'anthropic'
  | 'mistral'
  | 'openai-compatible'
  | 'azure-openai'
  | 'gemini'
  | 'anthropic-bedrock'
  | 'anthropic-vertex';

/**
 * A per-tenant credential. Only `id` ever leaves the adapter (events, audit); every other
 * field is a secret, kept out of errors and events.
 *
 * - Most types: `apiKey` is the tenant's API key.
 * - `anthropic-bedrock`: `apiKey` with `awsSecretKey` (and `awsSessionToken` for temporary
 *   credentials) is an AWS access key id and its secret, signed with SigV4; `apiKey` alone is
 *   a Bedrock API key.
 * - `anthropic-vertex`: `apiKey` is a Google OAuth access token (`gcloud auth print-access-token`).
 *
 * @example
 * ```ts
 * credentials: {
 *   'bedrock-eu': { id: 'acme-aws', apiKey: 'AKIA…', awsSecretKey: '…' },
 *   'vertex-eu': { id: 'acme-gcp', apiKey: 'ya29.…' },
 * }
 * ```
 */
export interface Credential {
  id: string;
  apiKey: string;
  /** `anthropic-bedrock`: the secret access key of the AWS access key id in `apiKey`. */
  awsSecretKey?: string;
  /** `anthropic-bedrock`: the session token of temporary AWS credentials (STS). */
  awsSessionToken?: string;
}

/** What the router asks of a provider for one attempt. Already validated and resolved. */
export interface ProviderRequest {
  /** The provider's own model name (`ModelSpec.model`, else its id). */
  model: string;
  messages: Message[];
  /** Always set: the router decides it, and reserves budget for exactly this many tokens. */
  maxTokens: number;
  temperature?: number;
  tools?: Tool[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  /** The call's reasoning, as asked; each adapter maps it (see `ReasoningOptions`). */
  reasoning?: ReasoningOptions;
  /**
   * The tenant's prompt caching, when on: `ttl` for Anthropic's breakpoints, `key` (a
   * pseudonym of the tenant) for OpenAI's `prompt_cache_key`.
   */
  promptCache?: { ttl: '5m' | '1h'; key: string };
  /** Aborts the SDK request: caller cancellation, deadlines, hedging. */
  signal?: AbortSignal;
  /** A tenant's own key for this provider; the entry's key when absent. */
  credential?: Credential;
}

/** A complete answer, normalized. `content` is `''` when the answer is only tool calls. */
export interface ProviderResponse {
  content: string;
  toolCalls?: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** The model's refusal text; `finishReason` is then `'content_filter'`. */
  refusal?: string;
  /**
   * `false` when the provider reported no usage at all: `usage` is then zeros, not a
   * measurement, and the call must be charged at its reservation. Absent (or `true`) when
   * usage was reported.
   */
  usageReported?: boolean;
}

/**
 * A streamed part from a provider. Exactly one `finish` ends a successful stream; its
 * `refusal` and `usageReported` mean what they mean on `ProviderResponse`.
 */
export type ProviderStreamPart =
  | { type: 'text'; text: string }
  | { type: 'tool-call'; toolCall: ToolCall }
  | {
      type: 'finish';
      finishReason: FinishReason;
      usage: Usage;
      refusal?: string;
      usageReported?: boolean;
    };

/** What the router asks of a provider's embeddings API for one attempt. */
export interface ProviderEmbedRequest {
  /** The provider's own model name. */
  model: string;
  /** The texts, in order: at least one. The adapter splits them into batches it can send. */
  input: string[];
  /** A shorter length of the vectors; left out: the model's own. */
  dimensions?: number;
  /** Aborts the SDK request(s). */
  signal?: AbortSignal;
  /** A tenant's own key for this provider; the entry's key when absent. */
  credential?: Credential;
}

/** The vectors, one per input text in its order, and the input tokens billed (summed over batches). */
export interface ProviderEmbedResponse {
  embeddings: number[][];
  usage: { inputTokens: number };
  /** `false` when the provider reported no usage: the call is charged at its reservation. */
  usageReported?: boolean;
}

/**
 * The whole contract between the router and a provider. Adapters throw only
 * `ProviderError` (already classified), from `complete()` and from the stream's iteration.
 */
export interface ProviderAdapter {
  /** The entry name in `createRouter({ providers })`: `openai`, `anthropic`, `my-vllm`… */
  readonly name: string;
  readonly type: ProviderType;
  complete(request: ProviderRequest): Promise<ProviderResponse>;
  stream(request: ProviderRequest): AsyncIterable<ProviderStreamPart>;
  /**
   * Embeds texts (`router.embed()`), sending as many requests as the provider's batch
   * limits need, in order, and throwing a classified `ProviderError` like `complete()`.
   * Optional: a deployment on an adapter without it is never a candidate for embeddings.
   */
  embed?(request: ProviderEmbedRequest): Promise<ProviderEmbedResponse>;
  /** Maps anything the SDK threw to a classified, secret-free `ProviderError`. */
  classify(error: unknown, model?: string): ProviderError;
  /**
   * Resolves when the adapter can serve calls: its SDK loaded and its own client built.
   * Rejects with why it cannot (the SDK package is not installed, no key); the router then
   * refuses every call with `invalid_config` rather than counting it as a provider failure.
   * Optional: an adapter without it is ready at once.
   */
  ready?(): Promise<void>;
}

/** Options shared by every adapter factory. */
export interface AdapterOptions {
  /** The entry name. */
  name: string;
  apiKey?: string;
  baseURL?: string;
  /** A ready SDK client; its own retries are bypassed per request. */
  client?: unknown;
  /** How many clients built for per-tenant credentials are kept. Default 256. */
  maxClients?: number;
  /** The entry's secrets besides `apiKey` (AWS secret key, session token, access token), kept out of errors. */
  secrets?: readonly string[];
}
