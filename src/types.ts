/**
 * Public, provider-neutral types: what a caller sends to `router.complete()` /
 * `router.stream()` and what comes back. Every provider adapter maps to and from these.
 *
 * @module
 */

/** A JSON Schema document (draft 2020-12 or 7), as plain JSON. */
export type JSONSchema = { [key: string]: unknown };

/** A piece of text inside a user message. */
export interface TextPart {
  type: 'text';
  text: string;
}

/**
 * An image inside a user message: either a URL (https or `data:`) or base64 `data` with its
 * `mediaType` (`image/png`, `image/jpeg`, `image/gif`, `image/webp`).
 */
export type ImagePart = { type: 'image'; url: string } | { type: 'image'; data: string; mediaType: string };

/** One part of a multi-part user message. */
export type ContentPart = TextPart | ImagePart;

/** Instructions for the model. Several are joined in order for providers that take one. */
export interface SystemMessage {
  role: 'system';
  content: string;
}

/** What the end user said: text, or text and images. */
export interface UserMessage {
  role: 'user';
  content: string | ContentPart[];
}

/**
 * What the model said earlier: text, tool calls, or both. A `ChatResult.message` has this
 * shape, so it can be appended to the next request's messages as it is.
 */
export interface AssistantMessage {
  role: 'assistant';
  content?: string;
  toolCalls?: ToolCall[];
}

/** The result of running a tool the model called, answering the call with `toolCallId`. */
export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: string;
}

/** One message of a conversation. */
export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** A call of a tool by the model. `arguments` is already parsed from the provider's JSON. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** A tool the model may call. `parameters` is the JSON Schema of an object. */
export interface Tool {
  name: string;
  description?: string;
  parameters: JSONSchema;
}

/**
 * Whether and which tool the model must call: `'auto'` (its choice, the default when tools
 * are given), `'none'`, `'required'` (some tool) or `{ name }` (that tool).
 */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/**
 * The shape of the answer: free `text` (default), any JSON object (`json`), or JSON that
 * matches `schema` (`json_schema`; providers without native support get the schema as an
 * instruction).
 */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json' }
  | { type: 'json_schema'; name?: string; schema: JSONSchema };

/** Why the model stopped, normalized across providers. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** Token usage as the provider reported it, normalized. */
export interface Usage {
  /**
   * All prompt tokens: uncached, read from the provider's prompt cache and written to it.
   * (Anthropic reports the three apart; they are summed here.)
   */
  inputTokens: number;
  /** All output tokens as billed, reasoning (thinking) tokens included. */
  outputTokens: number;
  /** The part of `inputTokens` read from the provider's prompt cache, when reported. */
  cachedInputTokens?: number;
  /**
   * The part of `inputTokens` written to the provider's prompt cache (Anthropic
   * `cache_creation_input_tokens`), billed above the input price. Absent when none.
   */
  cacheWriteInputTokens?: number;
  /**
   * The part of `cacheWriteInputTokens` written to Anthropic's 1-hour cache
   * (`cache_creation.ephemeral_1h_input_tokens`), billed at twice the input price where the
   * rest is billed as 5-minute writes. Absent when none.
   */
  cacheWrite1hInputTokens?: number;
  /**
   * The part of `outputTokens` the model spent reasoning (OpenAI
   * `completion_tokens_details.reasoning_tokens`, Anthropic
   * `output_tokens_details.thinking_tokens`). Absent when none or not reported.
   */
  reasoningTokens?: number;
  totalTokens: number;
}

/**
 * How much a reasoning model thinks before it answers. `effort` is a level; `budgetTokens`
 * a number of thinking tokens. Either, both or neither (`{}`: think, at the provider's
 * default level) may be given; see the README's "Reasoning" section for each provider's
 * mapping. A call with `reasoning` goes only to models whose declared capabilities include
 * `'reasoning'` (a model that declares none is not restricted).
 *
 * Thinking tokens are output tokens: they count against `maxTokens` on every provider. When
 * the call sets no `maxTokens`, the router sends its default output cap plus the thinking
 * budget (`budgetTokens`, else 1,024 / 4,096 / 16,384 for `low` / `medium` / `high`,
 * 1,024 for `minimal`, 4,096 without either), capped at the model's max output, and the
 * budget reservation covers all of it.
 *
 * @example
 * ```ts
 * await router.complete({ tenant: 'acme', messages, reasoning: { effort: 'high' } });
 * await router.complete({ tenant: 'acme', messages, reasoning: { budgetTokens: 8_000 } });
 * ```
 */
export interface ReasoningOptions {
  effort?: 'minimal' | 'low' | 'medium' | 'high';
  /** Thinking tokens, a positive integer (Anthropic's manual thinking takes at least 1,024). */
  budgetTokens?: number;
}

/** The routing strategies. See the README's "Strategies" section for how each ranks. */
export type StrategyName = 'force_model' | 'lowest_cost' | 'balanced' | 'max_reliability';

/** One call to `router.complete()`, `router.stream()` or `router.explain()`. */
export interface ChatRequest {
  /** The tenant the call is made for; its policy decides everything else. */
  tenant: string;
  /** The end user, for the audit record, sticky splits and per-user budgets. */
  user?: string;
  /** The caller's role within the tenant; narrows the allowed models when the policy names it. */
  role?: string;
  messages: Message[];
  /** Overrides the tenant's strategy for this call. */
  strategy?: StrategyName;
  /** Use this model (a catalog id). A model the tenant may not use is `policy_denied`. */
  forceModel?: string;
  /** Cap on the estimated cost of this call, in USD; dearer candidates are dropped. */
  maxCost?: number;
  /** Upper bound on output tokens, sent to the provider as `max_tokens`. */
  maxTokens?: number;
  temperature?: number;
  tools?: Tool[];
  toolChoice?: ToolChoice;
  /** Values for `{{vars.NAME}}` in the tenant's system prompt template. */
  vars?: Record<string, string>;
  responseFormat?: ResponseFormat;
  /** Free-form labels copied into events and the audit record. */
  tags?: Record<string, string>;
  /** Cancels the call, including the in-flight provider request. */
  signal?: AbortSignal;
  /** Deadline for the whole call, retries and fallbacks included; at most 2^31 - 1 ms. */
  timeoutMs?: number;
  /** Ask a reasoning model to think first, and how much. See `ReasoningOptions`. */
  reasoning?: ReasoningOptions;
}

/** One try of one model on one provider. */
export interface Attempt {
  model: string;
  provider: string;
  ok: boolean;
  /** The classified provider error code when `ok` is false. */
  errorCode?: string;
  /** The HTTP status the provider answered with, when there was one. */
  status?: number;
  latencyMs: number;
}

/** The answer of a call. `stream.result` resolves to the same, with `ttftMs`. */
export interface ChatResult {
  /** The request id, also on every event and the audit record of the call. */
  id: string;
  tenant: string;
  /** The answer's text (`''` when the model only called tools). */
  text: string;
  /** The answer as a message, ready to be sent back in the next request. */
  message: { role: 'assistant'; content: string; toolCalls?: ToolCall[] };
  finishReason: FinishReason;
  /** The catalog id of the model that answered. */
  model: string;
  /** The provider entry that served it. */
  provider: string;
  /** The deployment that served it: its provider entry (the same as `provider`). */
  deployment: string;
  /** The region of that deployment. */
  region?: string;
  usage: Usage;
  /**
   * Cost in USD from the reported usage and the model's prices, computed in integer
   * nano-USD and exact to the nano-dollar (no float noise such as `0.00007200000000000002`).
   */
  costUsd: number;
  /** True when the answer came from the tenant's cache. */
  cached: boolean;
  latencyMs: number;
  /**
   * True when the provider reported no usage: `costUsd` is then the call's reservation (the
   * upper bound of what it could cost), never 0.
   */
  usageEstimated?: true;
  /** Time to the first streamed token, for `router.stream()`. */
  ttftMs?: number;
  /**
   * The model's refusal, when it declined to answer (OpenAI `message.refusal`, Anthropic's
   * `stop_details.explanation`). `finishReason` is then `'content_filter'`. A refusal is a
   * successful call (the answer is the refusal); it is not retried nor routed around.
   */
  refusal?: string;
  attempts: Attempt[];
}

/** A part of a streamed answer. */
export type StreamPart =
  | { type: 'text'; text: string }
  | { type: 'tool-call'; toolCall: ToolCall }
  | { type: 'finish'; finishReason: FinishReason; usage: Usage; refusal?: string }
  | { type: 'error'; error: Error };

/**
 * A streamed answer: iterate it for parts; `result` resolves when it ends, or rejects with
 * the `RouterError` that ended it. The call starts at once, whether or not it is iterated,
 * and can be iterated only once: a second iteration throws `invalid_request`.
 */
export interface ChatStream extends AsyncIterable<StreamPart> {
  readonly id: string;
  readonly result: Promise<ChatResult>;
  /**
   * What serves the stream, once its first part has arrived (undefined before, and for a
   * stream that failed before any part): the catalog id, the deployment (provider entry) and
   * its region. A stream never switches model after its first part.
   */
  readonly served: StreamServed | undefined;
}

/** The model and deployment serving a stream (see `ChatStream.served`). */
export interface StreamServed {
  readonly model: string;
  readonly deployment: string;
  readonly region?: string;
}

/**
 * One call to `router.embed()`: texts to turn into vectors, routed like a chat call (tenant
 * policy, access, input guardrails, cache, rate limit, strategy, budget, fallback, audit)
 * among the models that declare the `embeddings` capability.
 *
 * @example
 * ```ts
 * const { embeddings } = await router.embed({ tenant: 'acme', input: ['first text', 'second text'] });
 * ```
 */
export interface EmbedRequest {
  /** The tenant the call is made for; its policy decides everything else. */
  tenant: string;
  /**
   * The text, or texts (at most 10,000), to embed: one vector each, in the same order. An
   * empty string or an empty list is `invalid_request`.
   */
  input: string | string[];
  /** The end user, for the audit record, sticky splits and per-user budgets. */
  user?: string;
  /** The caller's role within the tenant; narrows the allowed models when the policy names it. */
  role?: string;
  /** Free-form labels copied into events and the audit record. */
  tags?: Record<string, string>;
  /** Overrides the tenant's strategy for this call. */
  strategy?: StrategyName;
  /** Use this embedding model (a catalog id). A model the tenant may not use is `policy_denied`. */
  forceModel?: string;
  /** Cap on the estimated cost of this call, in USD; dearer candidates are dropped. */
  maxCost?: number;
  /**
   * The length of the vectors. Only models whose vectors can be shortened to it
   * (`ModelSpec.embedding.customDimensions`, e.g. OpenAI `text-embedding-3-*`, Gemini), or
   * whose vectors have exactly this length, are eligible. Default: the model's own length.
   */
  dimensions?: number;
  /** Cancels the call, including the in-flight provider request. */
  signal?: AbortSignal;
  /** Deadline for the whole call, retries and fallbacks included; at most 2^31 - 1 ms. */
  timeoutMs?: number;
}

/** The answer of `router.embed()`. */
export interface EmbedResult {
  /** The request id, also on every event and the audit record of the call. */
  id: string;
  tenant: string;
  /** The catalog id of the model that answered. */
  model: string;
  /** The provider entry that served it. */
  provider: string;
  /** The deployment that served it: its provider entry (the same as `provider`). */
  deployment: string;
  /** The region of that deployment. */
  region?: string;
  /** One vector per input text, in the order of `input` (one for a single string). */
  embeddings: number[][];
  /**
   * Input tokens as the provider reported them (summed over the requests of a split
   * batch). A provider that reports none (Gemini's Developer API) gives the router's
   * upper bound, and the call is charged at it.
   */
  usage: { inputTokens: number };
  /** Cost in USD, exact to the nano-dollar; 0 for a cached answer. */
  costUsd: number;
  /** True when the answer came from the tenant's cache. */
  cached: boolean;
  latencyMs: number;
  attempts: Attempt[];
}
