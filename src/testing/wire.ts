import type { FinishReason } from '../types.js';
import type { IdSource } from './ids.js';

/** The providers whose wire formats the emulator speaks. */
export type EmulatedProvider = 'openai' | 'anthropic' | 'mistral' | 'azure' | 'gemini' | 'bedrock' | 'vertex';

/** What a request's path names, for wires that carry it there (see `WireFormat.route`). */
export interface WireRoute {
  /** The upstream model (or Azure deployment) named by the path. */
  model?: string;
  /** The path asks for a stream (`invoke-with-response-stream`, `:streamGenerateContent`). */
  stream?: boolean;
  /** The provider refuses the request for what the URL lacks (Azure without `api-version`): sent as is. */
  reject?: WireError;
}

/** What a wire format reads off a request body, for the emulator core. */
export interface WireRequest {
  model: string;
  stream: boolean;
  /** `max_tokens` / `max_completion_tokens` as sent, when sent. */
  maxTokens?: number;
  /** All text of the prompt (system, messages, tool results), for the default answer and usage. */
  promptText: string;
  /** Number of messages, for per-message token overhead. */
  messageCount: number;
  /** The text of the last user message, echoed by the default answer. */
  lastUserText: string;
  /** The request asked for JSON output. */
  wantsJson: boolean;
  /** OpenAI only: `stream_options.include_usage` was sent. */
  includeUsage?: boolean;
  /** OpenAI only: `stream_options.include_obfuscation` was not turned off. */
  includeObfuscation?: boolean;
}

/** Token counts of an answer, as billed. */
export interface ResolvedUsage {
  /** All input tokens, cache reads and cache writes included. */
  inputTokens: number;
  /** All output tokens, reasoning included. */
  outputTokens: number;
  /** Input tokens read from the prompt cache. */
  cacheReadTokens: number;
  /** Input tokens written to the prompt cache, all lifetimes. */
  cacheWriteTokens: number;
  /** The part of `cacheWriteTokens` written with a 1-hour lifetime (Anthropic). */
  cacheWrite1hTokens: number;
  /** The part of `outputTokens` spent reasoning. */
  reasoningTokens: number;
}

/** The answer the emulator is about to send, resolved from a script or the default. */
export interface ResolvedAnswer {
  /** Full text, and the same split into the chunks a stream sends (one per token). */
  text: string;
  textChunks: string[];
  toolCalls: Array<{ id: string; name: string; arguments: Record<string, unknown> }>;
  finishReason: FinishReason;
  /** The visible reasoning (Anthropic thinking, Mistral thinking chunks), in stream chunks; empty without reasoning. */
  reasoningChunks: string[];
  /** A refusal: the text the provider gives for it (the answer has no text and no tool calls). */
  refusal?: string;
  usage: ResolvedUsage;
  /** False when the answer must go out without its usage (`{ noUsage: true }`). */
  reportUsage: boolean;
  /** Mistral only: how a stream sends tool calls. */
  mistralToolCalls: 'whole' | 'incremental';
}

/**
 * One SSE block (`event:`/`data:` lines ending in a blank line), or one binary frame of a
 * wire that streams another framing (`WireFormat.streamContentType`); `part` marks a
 * content delta.
 */
export interface SseEvent {
  data: string | Uint8Array;
  /** True for the events that carry a piece of the answer (text, reasoning, refusal, tool arguments). */
  part?: boolean;
}

/** A streamed answer: its events, and how it ends when it fails midway. */
export interface SseStream {
  events: SseEvent[];
  /** The SSE block(s) (or binary frames) that end this stream with a failure of `kind` (they share its id). */
  failure(kind: StreamErrorKind, context: WireContext): Array<string | Uint8Array>;
}

/** An HTTP error answer: status, JSON body, and headers beyond those every response carries. */
export interface WireError {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What a wire format knows of the request it answers, besides the request body. */
export interface WireContext {
  model: string;
  /** The API key the request carried. */
  apiKey: string | undefined;
  /** The request id of this answer, in the provider's format (see `WireFormat.requestId`). */
  requestId: string;
  ids: IdSource;
}

/** The mid-stream failures `{ errorEvent }` can inject. */
export type StreamErrorKind = 'overloaded' | 'server_error';

/**
 * One provider's wire format. The core does HTTP, latency, faults and the request log;
 * a wire format only reads requests and renders answers, errors and headers.
 */
export interface WireFormat {
  provider: EmulatedProvider;
  /** The POST path under the provider's prefix, e.g. `/v1/chat/completions`. */
  path: string;
  /**
   * For a wire whose paths carry the model or the mode (Azure deployments, Bedrock
   * `/model/{id}/invoke`, Gemini `models/{id}:generateContent`): matches the path under the
   * provider's prefix (instead of `path`) and says what it names. `undefined`: not this wire.
   */
  route?(path: string, url: URL): WireRoute | undefined;
  /** The content type of a streamed answer. Default `text/event-stream; charset=utf-8`. */
  streamContentType?: string;
  /** Reads the JSON body; returns a message for a 400 when it is not a valid request. */
  read(body: unknown, route?: WireRoute): WireRequest | { invalid: string };
  /** A new request id in the provider's format. */
  requestId(ids: IdSource): string;
  /** A new tool call id in the provider's format. */
  toolCallId(ids: IdSource): string;
  /** The JSON body of a complete answer. */
  json(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): unknown;
  /** The SSE blocks of a streamed answer, in order. */
  sse(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): SseStream;
  /** The error the provider sends with `status`; `message` replaces the provider's usual wording. */
  error(status: number, context: WireContext, message?: string): WireError;
  /** The provider's billing / quota error. */
  quotaError(context: WireContext): WireError;
  /** A prompt flagged by the provider's usage policy: an error, or the answer that declines it. */
  policyFlag(context: WireContext): WireError | { decline: string };
  /** The HTTP error that a failure a stream reports midway (`SseStream.failure`) gives a call that is not streamed. */
  failure(kind: StreamErrorKind, context: WireContext): WireError;
  /** The headers every answer carries (request id, rate-limit state) for a response of `status`. */
  headers(status: number, context: WireContext, request?: WireRequest): Record<string, string>;
  /**
   * The first SSE block of a `{ malformed: true }` stream: an event the SDK will parse
   * (named, where the SDK skips unnamed events) whose data is not JSON.
   */
  malformedEvent?: string | Uint8Array;
}
