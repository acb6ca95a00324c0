import type { FinishReason } from '../types.js';

/** The providers whose wire formats the emulator speaks. */
export type EmulatedProvider = 'openai' | 'anthropic' | 'mistral';

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
}

/** The answer the emulator is about to send, resolved from a script or the default. */
export interface ResolvedAnswer {
  /** Full text, and the same split into the chunks a stream sends (one per token). */
  text: string;
  textChunks: string[];
  toolCalls: Array<{ id: string; name: string; arguments: Record<string, unknown> }>;
  finishReason: FinishReason;
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number };
}

/**
 * One provider's wire format. The core does HTTP, latency, faults and the request log;
 * a wire format only reads requests and renders answers and errors.
 */
export interface WireFormat {
  provider: EmulatedProvider;
  /** The POST path under the provider's prefix, e.g. `/v1/chat/completions`. */
  path: string;
  /** Reads the JSON body; returns a message for a 400 when it is not a valid request. */
  read(body: unknown): WireRequest | { invalid: string };
  /** The JSON body of a complete answer. */
  json(answer: ResolvedAnswer, request: WireRequest, id: string): unknown;
  /** The SSE blocks of a streamed answer, in order, each a full `event:/data:` block ending in a blank line. */
  sse(answer: ResolvedAnswer, request: WireRequest, id: string): string[];
  /** The error body the provider sends with `status`. */
  errorBody(status: number, message: string): unknown;
  /**
   * The first SSE block of a `{ malformed: true }` stream: an event the SDK will parse
   * (named, where the SDK skips unnamed events) whose data is not JSON.
   */
  malformedEvent?: string;
}
