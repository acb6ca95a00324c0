// Longer than most files on purpose: the whole Anthropic messages wire format (JSON, SSE
// events in their order, errors, headers, fault scripts) as the emulator speaks it.
import type { FinishReason } from '../../types.js';
import type { IdSource } from '../ids.js';
import type {
  ResolvedAnswer,
  SseEvent,
  SseStream,
  StreamErrorKind,
  WireContext,
  WireError,
  WireFormat,
  WireRequest,
} from '../wire.js';

/**
 * The Anthropic Messages API (`POST /v1/messages`), as the real API reads requests and
 * renders answers, streams and errors. The SDK's baseURL is `${url}/anthropic`.
 */
export const anthropicWire: WireFormat = {
  provider: 'anthropic',
  path: '/v1/messages',
  read: readRequest,
  requestId: (ids) => `req_011C${ids.alnum(20)}`,
  toolCallId: (ids) => `toolu_01${ids.alnum(22)}`,
  json: renderMessage,
  sse: renderStream,
  error: renderError,
  quotaError: (context) =>
    errorAnswer(
      400,
      'invalid_request_error',
      'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
      context,
    ),
  // The API's answer when its usage-policy filter stops a prompt or an answer.
  policyFlag: (context) =>
    errorAnswer(400, 'invalid_request_error', 'Output blocked by content filtering policy', context),
  failure: (kind, context) => renderError(kind === 'overloaded' ? 529 : 500, context),
  headers: renderHeaders,
  // The SDK skips events without a name, so the broken data must come as a named event.
  malformedEvent: 'event: message_start\ndata: {"malformed": \n\n',
};

const STOP_REASONS: Record<FinishReason, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

function errorTypeFor(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

// A model told in its system prompt to answer in JSON does so; adapters without a native JSON
// mode (ours) send exactly such an instruction. `output_config.format` is the native
// structured-output switch of the newer models.
const JSON_INSTRUCTION = /\b(respond|answer|reply)\b[^.]*\bJSON\b/i;

// API version 2026-10-21, which @anthropic-ai/sdk 1.x sends, rejects these even at defaults.
const SAMPLING_PARAMS = ['temperature', 'top_p', 'top_k'] as const;
const MESSAGE_ROLES: ReadonlySet<unknown> = new Set(['user', 'assistant', 'system']);

function readRequest(body: unknown): WireRequest | { invalid: string } {
  if (!isRecord(body)) return { invalid: 'request body must be a JSON object' };
  const { model, messages, max_tokens: maxTokens, stream } = body;
  if (typeof model !== 'string' || model === '') return { invalid: 'model: Field required' };
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 0) {
    return { invalid: 'max_tokens: Field required' };
  }
  if (!Array.isArray(messages) || messages.length === 0) return { invalid: 'messages: Field required' };
  const sampling = SAMPLING_PARAMS.find((name) => name in body);
  if (sampling) return { invalid: `${sampling}: Extra inputs are not permitted` };

  const systemText = textOf(body.system);
  const texts: string[] = systemText ? [systemText] : [];
  let lastUserText = '';
  for (const message of messages) {
    if (!isRecord(message) || !MESSAGE_ROLES.has(message.role)) {
      return { invalid: 'messages: each message needs a role of "user", "assistant" or "system"' };
    }
    const text = textOf(message.content);
    texts.push(text);
    if (message.role === 'user') lastUserText = userTextOf(message.content) || text;
  }
  return {
    model,
    stream: stream === true,
    maxTokens,
    promptText: texts.join('\n'),
    messageCount: messages.length,
    lastUserText,
    wantsJson: JSON_INSTRUCTION.test(systemText) || wantsNativeJson(body.output_config),
  };
}

/** All text of string or block content: text, tool_use input, tool_result content. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const block of content) {
    if (!isRecord(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string') parts.push(block.text);
    else if (block.type === 'tool_use')
      parts.push(`${String(block.name)} ${JSON.stringify(block.input ?? {})}`);
    else if (block.type === 'tool_result') parts.push(textOf(block.content));
  }
  return parts.join('\n');
}

/** Only what the user typed (text blocks), not the tool results that share their message. */
function userTextOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((block): block is { type: 'text'; text: string } => isRecord(block) && block.type === 'text')
    .map((block) => block.text)
    .join('\n');
}

function wantsNativeJson(outputConfig: unknown): boolean {
  return (
    isRecord(outputConfig) && isRecord(outputConfig.format) && outputConfig.format.type === 'json_schema'
  );
}

/** The usage of a whole message: `input_tokens` excludes the cache reads and writes reported beside it. */
function messageUsage(answer: ResolvedAnswer, outputTokens: number) {
  const { cacheReadTokens, cacheWriteTokens, cacheWrite1hTokens } = answer.usage;
  return {
    input_tokens: uncachedInput(answer),
    cache_creation_input_tokens: cacheWriteTokens,
    cache_read_input_tokens: cacheReadTokens,
    cache_creation: {
      ephemeral_5m_input_tokens: cacheWriteTokens - cacheWrite1hTokens,
      ephemeral_1h_input_tokens: cacheWrite1hTokens,
    },
    output_tokens: outputTokens,
    service_tier: 'standard',
    inference_geo: 'global',
  };
}

/** The final counts `message_delta` repeats: input and cache counts again, output in full. */
function deltaUsage(answer: ResolvedAnswer) {
  const { cacheReadTokens, cacheWriteTokens, outputTokens, reasoningTokens } = answer.usage;
  return {
    input_tokens: uncachedInput(answer),
    cache_creation_input_tokens: cacheWriteTokens,
    cache_read_input_tokens: cacheReadTokens,
    output_tokens: outputTokens,
    output_tokens_details: { thinking_tokens: reasoningTokens },
  };
}

function uncachedInput(answer: ResolvedAnswer): number {
  const { inputTokens, cacheReadTokens, cacheWriteTokens } = answer.usage;
  return Math.max(0, inputTokens - cacheReadTokens - cacheWriteTokens);
}

/** A refusal says why in `stop_details`; other answers carry `stop_details: null`. */
function stopDetails(answer: ResolvedAnswer) {
  return answer.refusal === undefined
    ? null
    : { type: 'refusal', category: null, explanation: answer.refusal };
}

function stopReason(answer: ResolvedAnswer): string {
  return answer.refusal === undefined ? STOP_REASONS[answer.finishReason] : 'refusal';
}

function messageId(ids: IdSource): string {
  return `msg_01${ids.alnum(22)}`;
}

// Thinking signatures are opaque base64 the API checks when a thinking block is sent back.
function signature(ids: IdSource): string {
  return `Ev${ids.base64(238)}`;
}

function renderMessage(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): unknown {
  const content: unknown[] = [];
  if (answer.reasoningChunks.length > 0) {
    content.push({ type: 'thinking', thinking: answer.reasoningChunks.join(''), signature: signature(ids) });
  }
  if (answer.text !== '') content.push({ type: 'text', text: answer.text });
  for (const call of answer.toolCalls) {
    content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments });
  }
  return {
    model: request.model,
    id: messageId(ids),
    type: 'message',
    role: 'assistant',
    content,
    stop_reason: stopReason(answer),
    stop_sequence: null,
    stop_details: stopDetails(answer),
    ...(answer.reportUsage && { usage: messageUsage(answer, answer.usage.outputTokens) }),
  };
}

function sseEvent(data: { type: string; [field: string]: unknown }): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The event sequence of the real API: `message_start` (the input and cache counts, output so
 * far), one content block per thinking, text and tool call (`content_block_start`, deltas,
 * `content_block_stop`) with a `ping` after the first block starts (after `message_start`
 * when there is no block), `message_delta` (stop reason, `stop_details`, the usage repeated
 * with the final output count), `message_stop`.
 */
function renderStream(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): SseStream {
  const events: SseEvent[] = [
    {
      data: sseEvent({
        type: 'message_start',
        message: {
          model: request.model,
          id: messageId(ids),
          type: 'message',
          role: 'assistant',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          stop_details: null,
          ...(answer.reportUsage && { usage: messageUsage(answer, 1) }),
        },
      }),
    },
  ];
  let index = 0;
  const startBlock = (contentBlock: Record<string, unknown>) => {
    events.push({ data: sseEvent({ type: 'content_block_start', index, content_block: contentBlock }) });
    if (index === 0) events.push({ data: sseEvent({ type: 'ping' }) });
  };
  const delta = (value: Record<string, unknown>, part = true) => {
    events.push({
      data: sseEvent({ type: 'content_block_delta', index, delta: value }),
      ...(part && { part }),
    });
  };
  const stopBlock = () => {
    events.push({ data: sseEvent({ type: 'content_block_stop', index }) });
    index++;
  };

  if (answer.reasoningChunks.length > 0) {
    startBlock({ type: 'thinking', thinking: '', signature: '' });
    for (const thinking of answer.reasoningChunks) delta({ type: 'thinking_delta', thinking });
    delta({ type: 'signature_delta', signature: signature(ids) }, false);
    stopBlock();
  }
  if (answer.textChunks.length > 0) {
    startBlock({ type: 'text', text: '' });
    for (const text of answer.textChunks) delta({ type: 'text_delta', text });
    stopBlock();
  }
  for (const call of answer.toolCalls) {
    startBlock({ type: 'tool_use', id: call.id, name: call.name, input: {} });
    for (const partial_json of jsonPieces(JSON.stringify(call.arguments))) {
      delta({ type: 'input_json_delta', partial_json });
    }
    stopBlock();
  }
  if (index === 0) events.push({ data: sseEvent({ type: 'ping' }) });
  events.push(
    {
      data: sseEvent({
        type: 'message_delta',
        delta: { stop_reason: stopReason(answer), stop_sequence: null, stop_details: stopDetails(answer) },
        ...(answer.reportUsage && { usage: deltaUsage(answer) }),
      }),
    },
    { data: sseEvent({ type: 'message_stop' }) },
  );
  return { events, failure: streamFailure };
}

/** Splits tool input JSON the way the API does: an empty first piece, then short fragments. */
function jsonPieces(json: string): string[] {
  const pieces = [''];
  for (let i = 0; i < json.length; i += 8) pieces.push(json.slice(i, i + 8));
  return pieces;
}

/** The `{ type: 'error', error: { type, message }, request_id }` body, with its status. */
function errorAnswer(status: number, type: string, message: string, context: WireContext): WireError {
  return { status, body: { type: 'error', error: { type, message }, request_id: context.requestId } };
}

/**
 * The body the real API sends with each status, with its wording where one was recorded
 * (test/fixtures/wire/anthropic, and the issues cited there); other statuses say what the
 * emulator answered. A 413 comes from the edge in front of the API: no outer `type`, no
 * `request_id`.
 */
function renderError(status: number, context: WireContext, message?: string): WireError {
  const type = errorTypeFor(status);
  switch (status) {
    case 401:
      return errorAnswer(status, type, message ?? 'invalid x-api-key', context);
    case 404:
      return errorAnswer(status, type, message ?? `model: ${context.model}`, context);
    case 413:
      return { status, body: { error: { type, message: message ?? 'Request exceeds the maximum size' } } };
    case 429:
      return errorAnswer(
        status,
        type,
        message ?? "This request would exceed your account's rate limit. Please try again later.",
        context,
      );
    case 500:
      return errorAnswer(status, type, message ?? 'Internal server error', context);
    case 529:
      return errorAnswer(status, type, message ?? 'Overloaded', context);
    default:
      return errorAnswer(status, type, message ?? `emulated ${status} for ${context.model}`, context);
  }
}

/**
 * A failure after the stream started: an `event: error` whose error carries `details: null`
 * and whose body the request id, as the API sends them mid-stream; then the connection ends.
 * Before the stream starts the same failure is a 529 (overloaded) or a 500.
 */
function streamFailure(kind: StreamErrorKind, context: WireContext): string[] {
  const { body } = anthropicWire.failure(kind, context) as { body: { error: Record<string, unknown> } };
  const data = { type: 'error', error: { details: null, ...body.error }, request_id: context.requestId };
  return [`event: error\ndata: ${JSON.stringify(data)}\n\n`];
}

const REQUESTS_LIMIT = 50;
const TOKENS_LIMIT = 40_000;
/** Seconds a 429 or 529 asks the client to wait. */
const RETRY_AFTER_SECONDS = 1;

/**
 * `request-id` and the `anthropic-ratelimit-*` headers (limits, what is left, and the reset
 * as an RFC 3339 time) on every answer; `retry-after` on a 429 or 529, and the
 * `x-should-retry: true` the API adds to a 429.
 */
function renderHeaders(status: number, context: WireContext): Record<string, string> {
  const limited = status === 429;
  const reset = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toISOString().replace('.000Z', 'Z');
  return {
    'request-id': context.requestId,
    'anthropic-ratelimit-requests-limit': String(REQUESTS_LIMIT),
    'anthropic-ratelimit-requests-remaining': String(limited ? 0 : REQUESTS_LIMIT - 1),
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-tokens-limit': String(TOKENS_LIMIT),
    'anthropic-ratelimit-tokens-remaining': String(TOKENS_LIMIT - 16),
    'anthropic-ratelimit-tokens-reset': reset,
    ...((status === 429 || status === 529) && { 'retry-after': String(RETRY_AFTER_SECONDS) }),
    ...(limited && { 'x-should-retry': 'true' }),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
