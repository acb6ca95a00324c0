import type { ResolvedAnswer, WireFormat, WireRequest } from '../wire.js';

/**
 * The Mistral chat completions wire format (`POST /v1/chat/completions`), as the API
 * speaks it: snake_case JSON in, a `chat.completion` JSON or a `data:`-only SSE stream of
 * `chat.completion.chunk`s ending in `data: [DONE]` out, and Mistral's flat error object.
 */
export const mistralWire: WireFormat = {
  provider: 'mistral',
  path: '/v1/chat/completions',
  read: readRequest,
  json: renderCompletion,
  sse: renderStream,
  errorBody,
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
  const { inputTokens, outputTokens, cachedInputTokens } = answer.usage;
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    ...(cachedInputTokens > 0 && { prompt_tokens_details: { cached_tokens: cachedInputTokens } }),
  };
}

// Mistral sends arguments as a JSON string, each call whole, with its position as `index`.
function wireToolCalls(answer: ResolvedAnswer): JsonObject[] {
  return answer.toolCalls.map((call, index) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    index,
  }));
}

// Finish reasons go out as they are: stop, length and tool_calls are Mistral's own; it has
// no content-filter reason, and a scripted one is sent unchanged so a test of it reaches
// the adapter instead of passing for a normal stop.

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function renderCompletion(answer: ResolvedAnswer, request: WireRequest, id: string): unknown {
  return {
    id,
    object: 'chat.completion',
    model: request.model,
    created: nowSeconds(),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.text,
          tool_calls: answer.toolCalls.length > 0 ? wireToolCalls(answer) : null,
        },
        finish_reason: answer.finishReason,
      },
    ],
    usage: wireUsage(answer),
  };
}

/**
 * A role chunk, one content chunk per token, then one last chunk that carries the tool
 * calls (whole), the finish reason and the usage: Mistral reports usage on the final
 * chunk without being asked.
 */
function renderStream(answer: ResolvedAnswer, request: WireRequest, id: string): string[] {
  const created = nowSeconds();
  const chunk = (delta: JsonObject, finishReason: string | null, usage?: JsonObject): string => {
    const body = {
      id,
      object: 'chat.completion.chunk',
      created,
      model: request.model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
      ...(usage && { usage }),
    };
    return `data: ${JSON.stringify(body)}\n\n`;
  };

  const blocks = [chunk({ role: 'assistant', content: '' }, null)];
  for (const token of answer.textChunks) blocks.push(chunk({ content: token }, null));
  const lastDelta =
    answer.toolCalls.length > 0 ? { content: '', tool_calls: wireToolCalls(answer) } : { content: '' };
  blocks.push(chunk(lastDelta, answer.finishReason, wireUsage(answer)));
  blocks.push('data: [DONE]\n\n');
  return blocks;
}

// Representative `type`/`code` pairs of Mistral's error object; 429's `rate_limited`/1300
// is what the API sends, the others follow the same shape.
const ERROR_KINDS: Record<number, { type: string; code: string | null }> = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'unauthorized', code: null },
  403: { type: 'forbidden', code: null },
  404: { type: 'invalid_model', code: '1500' },
  408: { type: 'timeout', code: null },
  413: { type: 'invalid_request_error', code: null },
  422: { type: 'invalid_request_message_error', code: null },
  429: { type: 'rate_limited', code: '1300' },
  500: { type: 'internal_server_error', code: null },
  502: { type: 'bad_gateway', code: null },
  503: { type: 'service_unavailable', code: null },
  504: { type: 'gateway_timeout', code: null },
};

function errorBody(status: number, message: string): unknown {
  const kind = ERROR_KINDS[status] ?? {
    type: status >= 500 ? 'internal_server_error' : 'invalid_request_error',
    code: null,
  };
  return { object: 'error', message, type: kind.type, param: null, code: kind.code };
}
