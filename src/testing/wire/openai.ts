import type { ResolvedAnswer, WireFormat, WireRequest } from '../wire.js';

/**
 * The OpenAI chat completions wire format (`POST /v1/chat/completions`), as the real API
 * speaks it: the `chat.completion` JSON, the `chat.completion.chunk` SSE stream ending in
 * `data: [DONE]`, and `{ error: { message, type, param, code } }` error bodies.
 */
export const openaiWire: WireFormat = {
  provider: 'openai',
  path: '/v1/chat/completions',
  read: readRequest,
  json: renderCompletion,
  sse: renderChunks,
  errorBody: renderError,
};

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readRequest(body: unknown): WireRequest | { invalid: string } {
  if (!isObject(body)) return { invalid: 'the request body must be a JSON object' };
  const { model, messages } = body;
  if (typeof model !== 'string' || model === '')
    return { invalid: "you must provide a model parameter ('model')" };
  if (!Array.isArray(messages) || messages.length === 0) {
    return { invalid: "'messages' must be a non-empty array" };
  }
  const texts: string[] = [];
  let lastUserText = '';
  for (const [index, message] of messages.entries()) {
    if (!isObject(message) || typeof message.role !== 'string') {
      return { invalid: `'messages.${index}' must be an object with a 'role'` };
    }
    const text = messageText(message);
    texts.push(text);
    if (message.role === 'user') lastUserText = text;
  }
  // max_tokens is deprecated for OpenAI models but is all that compatible servers know.
  const maxTokens = numberOrUndefined(body.max_completion_tokens) ?? numberOrUndefined(body.max_tokens);
  const format = isObject(body.response_format) ? body.response_format.type : undefined;
  const streamOptions = isObject(body.stream_options) ? body.stream_options : undefined;
  return {
    model,
    stream: body.stream === true,
    ...(maxTokens !== undefined && { maxTokens }),
    promptText: texts.join('\n'),
    messageCount: messages.length,
    lastUserText,
    wantsJson: format === 'json_object' || format === 'json_schema',
    includeUsage: streamOptions?.include_usage === true,
  };
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The text a message contributes to the prompt: its content, and the arguments of any tool calls. */
function messageText(message: Json): string {
  const parts: string[] = [];
  const { content } = message;
  if (typeof content === 'string') parts.push(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (isObject(part) && part.type === 'text' && typeof part.text === 'string') parts.push(part.text);
    }
  }
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      const fn = isObject(call) && isObject(call.function) ? call.function : undefined;
      if (fn) parts.push(`${String(fn.name)} ${String(fn.arguments)}`);
    }
  }
  return parts.join('\n');
}

function renderUsage(answer: ResolvedAnswer): Json {
  const { inputTokens, outputTokens, cachedInputTokens } = answer.usage;
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    prompt_tokens_details: { cached_tokens: cachedInputTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function header(id: string, request: WireRequest, object: string): Json {
  return {
    id: `chatcmpl-${id}`,
    object,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    service_tier: 'default',
    system_fingerprint: 'fp_emulator',
  };
}

function renderCompletion(answer: ResolvedAnswer, request: WireRequest, id: string): unknown {
  const hasTools = answer.toolCalls.length > 0;
  // The real API sends `content: null`, not '', when the answer is only tool calls.
  const content = hasTools && answer.text === '' ? null : answer.text;
  return {
    ...header(id, request, 'chat.completion'),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: null,
          annotations: [],
          ...(hasTools && {
            tool_calls: answer.toolCalls.map((call) => ({
              id: call.id,
              type: 'function',
              function: { name: call.name, arguments: JSON.stringify(call.arguments) },
            })),
          }),
        },
        logprobs: null,
        finish_reason: answer.finishReason,
      },
    ],
    usage: renderUsage(answer),
  };
}

// The real API streams tool arguments in small fragments; clients must concatenate them.
const ARGUMENT_PIECE_LENGTH = 8;

function pieces(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += ARGUMENT_PIECE_LENGTH)
    out.push(text.slice(i, i + ARGUMENT_PIECE_LENGTH));
  return out;
}

function renderChunks(answer: ResolvedAnswer, request: WireRequest, id: string): string[] {
  const base = header(id, request, 'chat.completion.chunk');
  // With include_usage, every chunk carries `usage: null` until the last one.
  const usageNull = request.includeUsage ? { usage: null } : {};
  const chunk = (delta: Json, finishReason: string | null = null): string =>
    sse({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...usageNull,
    });

  const blocks = [chunk({ role: 'assistant', content: '', refusal: null })];
  for (const text of answer.textChunks) blocks.push(chunk({ content: text }));
  answer.toolCalls.forEach((call, index) => {
    blocks.push(
      chunk({
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
      }),
    );
    for (const piece of pieces(JSON.stringify(call.arguments))) {
      blocks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  blocks.push(chunk({}, answer.finishReason));
  if (request.includeUsage) blocks.push(sse({ ...base, choices: [], usage: renderUsage(answer) }));
  blocks.push('data: [DONE]\n\n');
  return blocks;
}

function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** The `type` and `code` the real API sends with each status. */
function errorKind(status: number): { type: string; code: string | null } {
  switch (status) {
    case 400:
      return { type: 'invalid_request_error', code: null };
    case 401:
      return { type: 'invalid_request_error', code: 'invalid_api_key' };
    case 403:
      return { type: 'invalid_request_error', code: 'unsupported_country_region_territory' };
    case 404:
      return { type: 'invalid_request_error', code: 'model_not_found' };
    case 429:
      return { type: 'requests', code: 'rate_limit_exceeded' };
    case 503:
      return { type: 'server_error', code: 'service_unavailable' };
    default:
      return status >= 500
        ? { type: 'server_error', code: null }
        : { type: 'invalid_request_error', code: null };
  }
}

function renderError(status: number, message: string): unknown {
  const { type, code } = errorKind(status);
  return { error: { message, type, param: null, code } };
}
