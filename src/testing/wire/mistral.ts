// Longer than most files on purpose: the whole Mistral chat wire format (JSON, SSE, errors,
// headers, fault scripts) as the emulator speaks it, in one place.
import type { IdSource } from '../ids.js';
import type {
  ResolvedAnswer,
  SseEvent,
  SseStream,
  WireContext,
  WireError,
  WireFormat,
  WireRequest,
} from '../wire.js';

/**
 * The Mistral chat completions wire format (`POST /v1/chat/completions`), as the API
 * speaks it: snake_case JSON in, a `chat.completion` JSON or a `data:`-only SSE stream of
 * `chat.completion.chunk`s ending in `data: [DONE]` out, Mistral's flat error object, and
 * the `x-ratelimit-*-minute` headers.
 */
export const mistralWire: WireFormat = {
  provider: 'mistral',
  path: '/v1/chat/completions',
  read: readRequest,
  requestId: (ids) => ids.hex(32),
  // Mistral's own models give tool calls 9-character alphanumeric ids.
  toolCallId: (ids) => ids.alnum(9),
  json: renderCompletion,
  sse: renderStream,
  error: renderError,
  // No recorded Mistral billing error: a monthly limit reached answers 429 (vanna-ai/vanna#177),
  // here in the shape of Mistral's recorded 429 with a message that names the limit.
  quotaError: () =>
    flatError(
      429,
      'You have reached your monthly usage limit for this workspace. Raise the limit or upgrade your plan in the billing settings to continue.',
      'rate_limited',
      '1300',
    ),
  // Mistral has no usage-policy rejection: the model answers, and declines in its text.
  policyFlag: () => ({ decline: "I'm sorry, but I can't help with that request." }),
  // Before a stream starts, Mistral's overload is a 503 "Service tier capacity exceeded".
  failure: (kind, context) => renderError(kind === 'overloaded' ? 503 : 500, context),
  headers: renderHeaders,
};

type JsonObject = Record<string, unknown>;

const ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant', 'tool']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of a message's content: a string, or the `text` chunks of a chunk array. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const chunk of content) {
    if (isObject(chunk) && chunk.type === 'text' && typeof chunk.text === 'string') text += chunk.text;
  }
  return text;
}

function readRequest(body: unknown): WireRequest | { invalid: string } {
  if (!isObject(body)) return { invalid: 'body must be a JSON object' };
  const { model, messages } = body;
  if (typeof model !== 'string' || model === '') return { invalid: 'model: field required' };
  if (!Array.isArray(messages) || messages.length === 0)
    return { invalid: 'messages: must be a non-empty list' };
  const maxTokens = body.max_tokens;
  if (maxTokens !== undefined && maxTokens !== null && (typeof maxTokens !== 'number' || maxTokens < 0)) {
    return { invalid: 'max_tokens: must be a non-negative integer' };
  }

  const texts: string[] = [];
  let lastUserText = '';
  for (const [index, message] of messages.entries()) {
    if (!isObject(message) || typeof message.role !== 'string' || !ROLES.has(message.role)) {
      return { invalid: `messages.${index}.role: must be one of system, user, assistant, tool` };
    }
    if (message.role === 'tool' && typeof message.tool_call_id !== 'string') {
      return { invalid: `messages.${index}.tool_call_id: required on tool messages` };
    }
    const text = contentText(message.content);
    texts.push(text);
    if (message.role === 'user') lastUserText = text;
  }

  const format = isObject(body.response_format) ? body.response_format.type : undefined;
  return {
    model,
    stream: body.stream === true,
    ...(typeof maxTokens === 'number' && { maxTokens }),
    promptText: texts.join('\n'),
    messageCount: messages.length,
    lastUserText,
    wantsJson: format === 'json_object' || format === 'json_schema',
  };
}

function wireUsage(answer: ResolvedAnswer): JsonObject {
  const { inputTokens, outputTokens, cacheReadTokens } = answer.usage;
  return {
    prompt_tokens: inputTokens,
    total_tokens: inputTokens + outputTokens,
    completion_tokens: outputTokens,
    ...(cacheReadTokens > 0 && { prompt_tokens_details: { cached_tokens: cacheReadTokens } }),
  };
}

// Mistral's own models send each call whole, arguments as a JSON string, without `type` or `index`.
function wholeToolCalls(answer: ResolvedAnswer): JsonObject[] {
  return answer.toolCalls.map((call) => ({
    id: call.id,
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  }));
}

// Finish reasons go out as they are: stop, length and tool_calls are Mistral's own; it has
// no content-filter reason, and a scripted one is sent unchanged so a test of it reaches
// the adapter instead of passing for a normal stop. A refusal is an ordinary answer whose
// text declines: Mistral has no refusal field.

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Reasoning models (magistral) answer in content chunks: `thinking` (itself text chunks), then `text`. */
function thinkingChunk(text: string): JsonObject {
  return { type: 'thinking', thinking: [{ type: 'text', text }] };
}

function answerText(answer: ResolvedAnswer): string {
  return answer.refusal ?? answer.text;
}

function renderCompletion(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): unknown {
  const text = answerText(answer);
  const hasTools = answer.toolCalls.length > 0;
  const reasoning = answer.reasoningChunks.length > 0;
  let message: JsonObject;
  if (reasoning) {
    const content = [thinkingChunk(answer.reasoningChunks.join(''))];
    if (text !== '') content.push({ type: 'text', text });
    message = { role: 'assistant', content, ...(hasTools && { tool_calls: wholeToolCalls(answer) }) };
  } else if (hasTools) {
    message = {
      role: 'assistant',
      tool_calls: wholeToolCalls(answer),
      ...(text !== '' && { content: text }),
    };
  } else {
    message = { role: 'assistant', tool_calls: null, content: text };
  }
  return {
    id: ids.hex(32),
    created: nowSeconds(),
    model: request.model,
    ...(answer.reportUsage && { usage: wireUsage(answer) }),
    object: 'chat.completion',
    choices: [{ index: 0, finish_reason: finishReasonOf(answer), message }],
  };
}

function finishReasonOf(answer: ResolvedAnswer): string {
  return answer.refusal !== undefined ? 'stop' : answer.finishReason;
}

// The pieces an incremental tool call's arguments come in.
const ARGUMENT_PIECE_LENGTH = 8;

/**
 * A role chunk, one content chunk per token, then a last chunk that carries the finish reason
 * and the usage: Mistral reports usage on the final chunk without being asked. Tool calls come
 * whole in that last chunk (Mistral's own models), or with `mistralToolCalls: 'incremental'`
 * as the API relays other models: the id and name first, then the arguments in pieces in
 * deltas without an id (the SDK fills a missing id with the string "null"). A reasoning model
 * sends its content as chunk arrays, the thinking first.
 */
function renderStream(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): SseStream {
  const id = ids.hex(32);
  const created = nowSeconds();
  const reasoning = answer.reasoningChunks.length > 0;
  const chunk = (delta: JsonObject, finishReason: string | null, usage?: JsonObject): string => {
    const choice = {
      index: 0,
      delta,
      finish_reason: finishReason,
      // Magistral's recorded chunks carry no logprobs; the other models send null.
      ...(!reasoning && { logprobs: null }),
    };
    const body = {
      id,
      object: 'chat.completion.chunk',
      created,
      model: request.model,
      choices: [choice],
      ...(usage && { usage }),
    };
    return `data: ${JSON.stringify(body)}\n\n`;
  };
  const usage = answer.reportUsage ? wireUsage(answer) : undefined;
  const textChunks = answer.refusal !== undefined ? tokens(answer.refusal) : answer.textChunks;

  const events: SseEvent[] = [];
  if (reasoning) {
    const [first, ...rest] = answer.reasoningChunks;
    events.push({ data: chunk({ role: 'assistant', content: [thinkingChunk(first!)] }, null), part: true });
    for (const text of rest)
      events.push({ data: chunk({ content: [thinkingChunk(text)] }, null), part: true });
    for (const text of textChunks) {
      events.push({ data: chunk({ content: [{ type: 'text', text }] }, null), part: true });
    }
  } else {
    events.push({ data: chunk({ role: 'assistant', content: '' }, null) });
    for (const text of textChunks) events.push({ data: chunk({ content: text }, null), part: true });
  }
  const finishReason = finishReasonOf(answer);
  if (answer.toolCalls.length > 0 && answer.mistralToolCalls === 'incremental') {
    answer.toolCalls.forEach((call, index) => {
      const start = { id: call.id, type: 'function', function: { name: call.name, arguments: '' }, index };
      events.push({ data: chunk({ tool_calls: [start], index: 0, content: '' }, null) });
      const json = JSON.stringify(call.arguments);
      for (let at = 0; at < json.length; at += ARGUMENT_PIECE_LENGTH) {
        const piece = {
          type: 'function',
          function: { name: '', arguments: json.slice(at, at + ARGUMENT_PIECE_LENGTH) },
          index,
        };
        events.push({ data: chunk({ tool_calls: [piece], index: 0, content: '' }, null), part: true });
      }
    });
    events.push({ data: chunk({ index: 0, content: '' }, finishReason, usage) });
  } else if (answer.toolCalls.length > 0) {
    events.push({
      data: chunk({ content: null, tool_calls: wholeToolCalls(answer) }, finishReason, usage),
      part: true,
    });
  } else {
    events.push({ data: chunk({ content: '' }, finishReason, usage) });
  }
  events.push({ data: 'data: [DONE]\n\n' });
  // Mistral reports a failure midway as a last chunk with `finish_reason: "error"`, no error object.
  const failure = () => [chunk({ content: '' }, 'error'), 'data: [DONE]\n\n'];
  return { events, failure };
}

function tokens(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

function flatError(status: number, message: string, type: string, code: string | null): WireError {
  return { status, body: { object: 'error', message, type, param: null, code } };
}

/**
 * The body the API sends with each status. Recorded: 401 `{ message, request_id }` (from the
 * gateway, before the API), 422 FastAPI's `{ detail: [...] }`, 429 `rate_limited`/`1300`,
 * 503 "Service tier capacity exceeded". Other statuses use the flat error object, saying what
 * the emulator answered.
 */
function renderError(status: number, context: WireContext, message?: string): WireError {
  const said = message ?? `emulated ${status} for ${context.model}`;
  switch (status) {
    case 401:
      return {
        status,
        body: { message: message ?? 'Unauthorized', request_id: context.requestId },
        headers: { 'content-type': 'application/json; charset=utf-8' },
      };
    case 422:
      return { status, body: { detail: [{ type: 'value_error', loc: ['body'], msg: said, input: null }] } };
    case 429:
      return flatError(status, message ?? 'Rate limit exceeded', 'rate_limited', '1300');
    case 503:
      return flatError(
        status,
        message ?? 'Service tier capacity exceeded for this model.',
        'invalid_request_error',
        null,
      );
    default: {
      const kind = ERROR_KINDS[status] ?? {
        type: status >= 500 ? 'internal_server_error' : 'invalid_request_error',
        code: null,
      };
      return flatError(status, said, kind.type, kind.code);
    }
  }
}

// `type`/`code` pairs of the flat error object for the statuses without a recorded body.
const ERROR_KINDS: Record<number, { type: string; code: string | null }> = {
  400: { type: 'invalid_request_error', code: null },
  403: { type: 'forbidden', code: null },
  404: { type: 'invalid_model', code: '1500' },
  408: { type: 'timeout', code: null },
  413: { type: 'invalid_request_error', code: null },
  500: { type: 'internal_server_error', code: null },
  502: { type: 'bad_gateway', code: null },
  504: { type: 'gateway_timeout', code: null },
};

const REQUESTS_PER_MINUTE = 720;
const TOKENS_PER_MINUTE = 5_000_000;

/** The per-minute rate-limit headers Mistral sends: limits, what is left, and the request's token cost. */
function renderHeaders(status: number, _context: WireContext, request?: WireRequest): Record<string, string> {
  const cost = request ? Math.ceil(Buffer.byteLength(request.promptText, 'utf8') / 4) : 0;
  return {
    'x-ratelimit-limit-req-minute': String(REQUESTS_PER_MINUTE),
    'x-ratelimit-remaining-req-minute': String(status === 429 ? 0 : REQUESTS_PER_MINUTE - 1),
    'x-ratelimit-limit-tokens-minute': String(TOKENS_PER_MINUTE),
    'x-ratelimit-remaining-tokens-minute': String(TOKENS_PER_MINUTE - cost),
    'x-ratelimit-tokens-query-cost': String(cost),
  };
}
