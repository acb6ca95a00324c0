import type { FinishReason } from '../../types.js';
import type { ResolvedAnswer, WireFormat, WireRequest } from '../wire.js';

/**
 * The Anthropic Messages API (`POST /v1/messages`), as the real API reads requests and
 * renders answers, streams and errors. The SDK's baseURL is `${url}/anthropic`.
 */
export const anthropicWire: WireFormat = {
  provider: 'anthropic',
  path: '/v1/messages',
  read: readRequest,
  json: renderMessage,
  sse: renderStream,
  errorBody: (status, message) => ({ type: 'error', error: { type: errorTypeFor(status), message } }),
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
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
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

/** Anthropic's `input_tokens` excludes cache reads, which it reports on their own. */
function wireUsage(answer: ResolvedAnswer, outputTokens: number) {
  const cached = answer.usage.cachedInputTokens;
  return {
    input_tokens: Math.max(0, answer.usage.inputTokens - cached),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function renderMessage(answer: ResolvedAnswer, request: WireRequest, id: string): unknown {
  const content: unknown[] = [];
  if (answer.text !== '') content.push({ type: 'text', text: answer.text });
  for (const call of answer.toolCalls) {
    content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments });
  }
  return {
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model: request.model,
    content,
    stop_reason: STOP_REASONS[answer.finishReason],
    stop_sequence: null,
    usage: wireUsage(answer, answer.usage.outputTokens),
  };
}

function sseEvent(data: { type: string; [field: string]: unknown }): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The event sequence of the real API: message_start (input usage, output_tokens 1), ping,
 * one content block per text and per tool call (start, deltas, stop), message_delta (stop
 * reason, cumulative output_tokens), message_stop.
 */
function renderStream(answer: ResolvedAnswer, request: WireRequest, id: string): string[] {
  const events: string[] = [
    sseEvent({
      type: 'message_start',
      message: {
        id: `msg_${id}`,
        type: 'message',
        role: 'assistant',
        model: request.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: wireUsage(answer, 1),
      },
    }),
    sseEvent({ type: 'ping' }),
  ];
  let index = 0;
  if (answer.textChunks.length > 0) {
    events.push(sseEvent({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
    for (const text of answer.textChunks) {
      events.push(sseEvent({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } }));
    }
    events.push(sseEvent({ type: 'content_block_stop', index }));
    index++;
  }
  for (const call of answer.toolCalls) {
    events.push(
      sseEvent({
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
      }),
    );
    for (const partial_json of jsonPieces(JSON.stringify(call.arguments))) {
      events.push(
        sseEvent({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } }),
      );
    }
    events.push(sseEvent({ type: 'content_block_stop', index }));
    index++;
  }
  events.push(
    sseEvent({
      type: 'message_delta',
      delta: { stop_reason: STOP_REASONS[answer.finishReason], stop_sequence: null },
      usage: { output_tokens: answer.usage.outputTokens },
    }),
    sseEvent({ type: 'message_stop' }),
  );
  return events;
}

/** Splits tool input JSON the way the API does: an empty first piece, then short fragments. */
function jsonPieces(json: string): string[] {
  const pieces = [''];
  for (let i = 0; i < json.length; i += 8) pieces.push(json.slice(i, i + 8));
  return pieces;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
