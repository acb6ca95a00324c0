// Longer than most files on purpose: the whole OpenAI chat completions wire format (JSON,
// SSE chunks, errors, headers, fault scripts) as the emulator speaks it, in one place.
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
 * The OpenAI chat completions wire format (`POST /v1/chat/completions`), as the real API
 * speaks it: the `chat.completion` JSON, the `chat.completion.chunk` SSE stream ending in
 * `data: [DONE]`, `{ error: { message, type, param, code } }` error bodies, and the
 * `x-request-id` and `x-ratelimit-*` headers on every answer.
 */
export const openaiWire: WireFormat = {
  provider: 'openai',
  path: '/v1/chat/completions',
  read: readRequest,
  requestId: (ids) => `req_${ids.hex(32)}`,
  toolCallId: (ids) => `call_${ids.alnum(24)}`,
  json: renderCompletion,
  sse: renderChunks,
  error: renderError,
  quotaError: () => ({
    status: 429,
    body: errorObject(
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
      'insufficient_quota',
      'insufficient_quota',
    ),
    headers: rateLimitHeaders(REQUESTS_LIMIT - 1),
  }),
  policyFlag: () => ({
    status: 400,
    body: errorObject(
      'Invalid prompt: your prompt was flagged as potentially violating our usage policy. Please try again with a different prompt: https://platform.openai.com/docs/guides/reasoning#advice-on-prompting',
      'invalid_request_error',
      'invalid_prompt',
    ),
  }),
  failure: (kind, context) => renderError(kind === 'overloaded' ? 503 : 500, context),
  headers: (status, context) => ({
    'x-request-id': context.requestId,
    'openai-version': '2020-10-01',
    'openai-processing-ms': '42',
    ...rateLimitHeaders(status === 429 ? 0 : REQUESTS_LIMIT - 1),
  }),
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
    includeObfuscation: streamOptions?.include_obfuscation !== false,
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

/** OpenAI reports cache reads and reasoning, not cache writes: those are billed as plain input. */
function renderUsage(answer: ResolvedAnswer): Json {
  const { inputTokens, outputTokens, cacheReadTokens, reasoningTokens } = answer.usage;
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    prompt_tokens_details: { cached_tokens: cacheReadTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function header(request: WireRequest, ids: IdSource, object: string): Json {
  return {
    id: `chatcmpl-${ids.alnum(29)}`,
    object,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    service_tier: 'default',
    system_fingerprint: fingerprint(request.model),
  };
}

/** A `system_fingerprint` per model: it names the backend configuration, which rarely changes. */
function fingerprint(model: string): string {
  let hash = 0x811c9dc5;
  for (const char of model) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return `fp_${hash.toString(16).padStart(8, '0')}${(hash % 251).toString(16).padStart(2, '0')}`;
}

function renderCompletion(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): unknown {
  const hasTools = answer.toolCalls.length > 0;
  // The real API sends `content: null`, not '', for a refusal and for an answer of only tool calls.
  const content = answer.refusal !== undefined || (hasTools && answer.text === '') ? null : answer.text;
  return {
    ...header(request, ids, 'chat.completion'),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: answer.refusal ?? null,
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
        finish_reason: finishReasonOf(answer),
      },
    ],
    ...(answer.reportUsage && { usage: renderUsage(answer) }),
  };
}

/** A refusal ends with `stop`: the refusal field, not the finish reason, tells it apart. */
function finishReasonOf(answer: ResolvedAnswer): string {
  return answer.refusal !== undefined ? 'stop' : answer.finishReason;
}

// The real API streams tool arguments in small fragments; clients must concatenate them.
const ARGUMENT_PIECE_LENGTH = 8;

function pieces(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += ARGUMENT_PIECE_LENGTH)
    out.push(text.slice(i, i + ARGUMENT_PIECE_LENGTH));
  return out;
}

/**
 * The chunk sequence of the real API: a role chunk (`content: ''`, `refusal: null`; for a
 * refusal `content: null`, `refusal: ''`), one chunk per token of text or refusal, a first
 * chunk per tool call with its id and name, then its arguments in pieces, an empty delta with
 * the finish reason, with `include_usage` a last chunk with empty `choices` and the usage, and
 * `[DONE]`. Every chunk carries `obfuscation` (random padding) unless the request turned it
 * off, and `usage: null` when usage was asked for.
 */
function renderChunks(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): SseStream {
  const base = header(request, ids, 'chat.completion.chunk');
  const withUsage = request.includeUsage === true && answer.reportUsage;
  // Random padding that hides the length of each delta; its own length varies too.
  const pad = (): Json => (request.includeObfuscation ? { obfuscation: ids.alnum(2 + ids.int(12)) } : {});
  const chunk = (delta: Json, finishReason: string | null = null): string =>
    sse({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(withUsage && { usage: null }),
      ...pad(),
    });

  const refusing = answer.refusal !== undefined;
  const onlyTools = answer.text === '' && answer.toolCalls.length > 0;
  const events: SseEvent[] = [
    {
      data: chunk(
        refusing
          ? { role: 'assistant', content: null, refusal: '' }
          : { role: 'assistant', content: onlyTools ? null : '', refusal: null },
      ),
    },
  ];
  for (const text of answer.textChunks) events.push({ data: chunk({ content: text }), part: true });
  if (refusing) {
    for (const text of tokens(answer.refusal ?? ''))
      events.push({ data: chunk({ refusal: text }), part: true });
  }
  answer.toolCalls.forEach((call, index) => {
    events.push({
      data: chunk({
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
      }),
    });
    for (const piece of pieces(JSON.stringify(call.arguments))) {
      events.push({ data: chunk({ tool_calls: [{ index, function: { arguments: piece } }] }), part: true });
    }
  });
  events.push({ data: chunk({}, finishReasonOf(answer)) });
  if (withUsage) events.push({ data: sse({ ...base, choices: [], usage: renderUsage(answer), ...pad() }) });
  events.push({ data: 'data: [DONE]\n\n' });
  return { events, failure: streamFailure };
}

function tokens(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

function errorObject(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/**
 * The body the real API sends with each status, with its wording where one was recorded
 * (test/fixtures/wire/openai, and the issues cited there); other statuses say what the
 * emulator answered.
 */
function renderError(status: number, context: WireContext, message?: string): WireError {
  const { model } = context;
  const said = (fallback: string) => message ?? fallback;
  switch (status) {
    case 400:
      return { status, body: errorObject(said(`emulated 400 for ${model}`), 'invalid_request_error', null) };
    case 401:
      return {
        status,
        body: errorObject(
          said(
            `Incorrect API key provided: ${maskKey(context.apiKey)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          ),
          'invalid_request_error',
          'invalid_api_key',
        ),
      };
    case 403:
      return {
        status,
        body: errorObject(
          said('Country, region, or territory not supported'),
          'request_forbidden',
          'unsupported_country_region_territory',
        ),
      };
    case 404:
      return {
        status,
        body: errorObject(
          said(`The model \`${model}\` does not exist or you do not have access to it.`),
          'invalid_request_error',
          'model_not_found',
        ),
      };
    case 429:
      return {
        status,
        body: errorObject(
          said(
            `Rate limit reached for ${model} in organization org-emulator on requests per min (RPM): Limit ${REQUESTS_LIMIT}, Used ${REQUESTS_LIMIT}, Requested 1. Please try again in 174ms. Visit https://platform.openai.com/account/rate-limits to learn more.`,
          ),
          'requests',
          'rate_limit_exceeded',
        ),
      };
    case 500:
      return {
        status,
        body: errorObject(
          said(
            `The server had an error while processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com if the error persists. (Please include the request ID ${context.requestId} in your message.)`,
          ),
          'server_error',
          null,
        ),
      };
    case 503:
      return { status, body: errorObject(said(overloadedMessage(context)), 'server_error', null) };
    default:
      return {
        status,
        body: errorObject(
          said(`emulated ${status} for ${model}`),
          status >= 500 ? 'server_error' : 'invalid_request_error',
          null,
        ),
      };
  }
}

function overloadedMessage(context: WireContext): string {
  return `That model is currently overloaded with other requests. You can retry your request, or contact us through our help center at help.openai.com if the error persists. (Please include the request ID ${context.requestId} in your message.)`;
}

/** OpenAI shows the first 8 and last 4 characters of a wrong key, the rest as asterisks. */
function maskKey(key: string | undefined): string {
  if (!key) return '';
  if (key.length <= 12) return '*'.repeat(key.length);
  return `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}

/**
 * A failure after the stream started: the API sends a data chunk that holds only an error
 * object (no `choices`), then `[DONE]`. Before the stream starts the same failure is a 503
 * (overloaded) or a 500.
 */
function streamFailure(kind: StreamErrorKind, context: WireContext): string[] {
  return [sse(openaiWire.failure(kind, context).body), 'data: [DONE]\n\n'];
}

const REQUESTS_LIMIT = 500;
const TOKENS_LIMIT = 30_000;

/** The `x-ratelimit-*` headers: limits, what is left, and resets as durations ("174ms", "6m0s"). */
function rateLimitHeaders(requestsLeft: number): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(REQUESTS_LIMIT),
    'x-ratelimit-limit-tokens': String(TOKENS_LIMIT),
    'x-ratelimit-remaining-requests': String(requestsLeft),
    'x-ratelimit-remaining-tokens': String(TOKENS_LIMIT - 16),
    'x-ratelimit-reset-requests': requestsLeft === 0 ? '174ms' : '120ms',
    'x-ratelimit-reset-tokens': '32ms',
  };
}
