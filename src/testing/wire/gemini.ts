// Longer than most files on purpose: the whole Gemini generateContent wire format (JSON,
// SSE, errors, fault scripts) as the emulator speaks it, in one place.
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
  WireRoute,
} from '../wire.js';

/**
 * The Gemini Developer API's `generateContent` wire format, as the API speaks it:
 * `POST /v1beta/models/{model}:generateContent` (JSON) and
 * `:streamGenerateContent?alt=sse` (`data:`-only SSE events, each a whole
 * `GenerateContentResponse`, usage on every event and complete on the last), the key in
 * `x-goog-api-key`, and Google's `{ error: { code, message, status, details } }` bodies.
 * Gemini sends no rate-limit headers: a 429 says how long to wait in a `RetryInfo` detail.
 */
export const geminiWire: WireFormat = {
  provider: 'gemini',
  path: '/v1beta/models',
  route: routeOf,
  read: readRequest,
  requestId: (ids) => ids.alnum(23),
  // Gemini's function calls carry no id (2.x, and 3.x as recorded): the adapter makes them.
  // An id scripted with `respond()` is sent, as a backend that issues ids would.
  toolCallId: () => '',
  json: renderResponse,
  sse: renderStream,
  error: renderError,
  // Not recorded: the wording of a spent prepaid balance, in the 429 shape Gemini uses.
  quotaError: () =>
    googleError(
      429,
      'RESOURCE_EXHAUSTED',
      'Your prepayment credits are depleted. Please go to AI Studio to manage your project and billing.',
    ),
  // Recorded (vercel/ai fixture issue-19758-prompt-block.json): a 200 with no candidate.
  policyFlag: (context) => ({
    status: 200,
    body: {
      promptFeedback: { blockReason: 'PROHIBITED_CONTENT' },
      usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
      modelVersion: context.model,
      responseId: context.requestId,
    },
  }),
  failure: (kind, context) => renderError(kind === 'overloaded' ? 503 : 500, context),
  headers: () => ({}),
};

type JsonObject = Record<string, unknown>;

const ROUTE = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

function routeOf(path: string): WireRoute | undefined {
  const match = ROUTE.exec(path);
  if (!match) return undefined;
  return { model: decodeURIComponent(match[1]!), stream: match[2] === 'streamGenerateContent' };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function partsText(content: unknown): string {
  if (!isObject(content) || !Array.isArray(content.parts)) return '';
  const texts: string[] = [];
  for (const part of content.parts) {
    if (!isObject(part)) continue;
    if (typeof part.text === 'string') texts.push(part.text);
    if (isObject(part.functionResponse)) texts.push(JSON.stringify(part.functionResponse.response ?? {}));
  }
  return texts.join('\n');
}

function readRequest(body: unknown, route?: WireRoute): WireRequest | { invalid: string } {
  if (!isObject(body)) return { invalid: 'Invalid JSON payload received.' };
  const model = route?.model;
  if (!model) return { invalid: 'model is required' };
  const { contents } = body;
  if (!Array.isArray(contents) || contents.length === 0) {
    return { invalid: '* GenerateContentRequest.contents: contents is not specified' };
  }
  const texts: string[] = [];
  if (body.systemInstruction !== undefined) texts.push(partsText(body.systemInstruction));
  let lastUserText = '';
  for (const [index, content] of contents.entries()) {
    if (!isObject(content) || !Array.isArray(content.parts) || content.parts.length === 0) {
      return {
        invalid: `* GenerateContentRequest.contents[${index}].parts: contents.parts must not be empty.`,
      };
    }
    if (content.role !== undefined && content.role !== 'user' && content.role !== 'model') {
      return { invalid: `Please use a valid role: user, model.` };
    }
    const text = partsText(content);
    texts.push(text);
    if (content.role !== 'model') lastUserText = text;
  }
  const config = isObject(body.generationConfig) ? body.generationConfig : {};
  const maxTokens = config.maxOutputTokens;
  return {
    model,
    stream: route?.stream === true,
    ...(typeof maxTokens === 'number' && { maxTokens }),
    promptText: texts.join('\n'),
    messageCount: contents.length,
    lastUserText,
    wantsJson: config.responseMimeType === 'application/json',
  };
}

function finishReasonOf(answer: ResolvedAnswer): string {
  if (answer.refusal !== undefined) return 'SAFETY';
  switch (answer.finishReason) {
    case 'length':
      return 'MAX_TOKENS';
    case 'content_filter':
      return 'SAFETY';
    default:
      return 'STOP';
  }
}

function usageOf(answer: ResolvedAnswer, final: boolean): JsonObject {
  const { inputTokens, outputTokens, cacheReadTokens, reasoningTokens } = answer.usage;
  const candidates = outputTokens - reasoningTokens;
  return {
    promptTokenCount: inputTokens,
    ...(final && candidates > 0 && { candidatesTokenCount: candidates }),
    totalTokenCount: final ? inputTokens + outputTokens : inputTokens,
    ...(cacheReadTokens > 0 && { cachedContentTokenCount: cacheReadTokens }),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: inputTokens }],
    ...(final && reasoningTokens > 0 && { thoughtsTokenCount: reasoningTokens }),
  };
}

// Gemini 3 puts a thought signature on the first function call of a turn.
function callParts(answer: ResolvedAnswer, ids: IdSource): JsonObject[] {
  return answer.toolCalls.map((call, index) => ({
    functionCall: { ...(call.id !== '' && { id: call.id }), name: call.name, args: call.arguments },
    ...(index === 0 && {
      thoughtSignature: Buffer.from(`emulated-signature-${ids.hex(16)}`).toString('base64'),
    }),
  }));
}

function candidate(parts: JsonObject[], finishReason?: string): JsonObject {
  return {
    ...(parts.length > 0 && { content: { parts, role: 'model' } }),
    ...(finishReason !== undefined && { finishReason }),
    index: 0,
  };
}

function renderResponse(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): unknown {
  const parts: JsonObject[] = [];
  if (answer.refusal === undefined && answer.text !== '') parts.push({ text: answer.text });
  parts.push(...callParts(answer, ids));
  return {
    candidates: [candidate(parts, finishReasonOf(answer))],
    ...(answer.reportUsage && { usageMetadata: usageOf(answer, true) }),
    modelVersion: request.model,
    responseId: ids.alnum(23),
  };
}

const frame = (body: unknown): string => `data: ${JSON.stringify(body)}\r\n\r\n`;

/**
 * One event per text token, then a last event with the function calls (Gemini sends each
 * call whole), the finish reason and the complete usage. Every event carries the usage so
 * far, as Gemini's do. A failure midway is an event holding only `{ error }`, as Gemini
 * sends it inside a stream.
 */
function renderStream(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): SseStream {
  const responseId = ids.alnum(23);
  const event = (parts: JsonObject[], finishReason?: string): string =>
    frame({
      candidates: [candidate(parts, finishReason)],
      ...(answer.reportUsage && { usageMetadata: usageOf(answer, finishReason !== undefined) }),
      modelVersion: request.model,
      responseId,
    });
  const events: SseEvent[] = [];
  const chunks = answer.refusal === undefined ? answer.textChunks : [];
  const calls = callParts(answer, ids);
  const last = chunks.length - 1;
  chunks.forEach((text, index) => {
    const final = index === last && calls.length === 0;
    events.push({ data: event([{ text }], final ? finishReasonOf(answer) : undefined), part: true });
  });
  if (calls.length > 0 || chunks.length === 0) {
    events.push({ data: event(calls, finishReasonOf(answer)), part: calls.length > 0 });
  }
  const failure = (kind: StreamErrorKind, context: WireContext) => [
    frame((renderError(kind === 'overloaded' ? 503 : 500, context) as { body: unknown }).body),
  ];
  return { events, failure };
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function googleError(status: number, name: string, message: string, details?: unknown[]): WireError {
  return { status, body: { error: { code: status, message, status: name, ...(details && { details }) } } };
}

/**
 * The body Gemini sends with each status. The 429 is the recorded shape (vercel/ai fixture
 * google-429-retry-info.json): a per-minute `QuotaFailure` and a `RetryInfo` of 1 s here.
 * The 400 for a bad key carries the `ErrorInfo` reason `API_KEY_INVALID`, as Gemini does.
 */
function renderError(status: number, context: WireContext, message?: string): WireError {
  const name = STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
  switch (status) {
    case 429:
      return googleError(
        status,
        name,
        message ?? 'You exceeded your current quota, please check your plan and billing details.',
        [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [{ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel', quotaValue: '1000' }],
          },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' },
        ],
      );
    case 404:
      return googleError(
        status,
        name,
        message ??
          `models/${context.model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
      );
    case 500:
      return googleError(
        status,
        name,
        message ??
          'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
      );
    case 503:
      return googleError(status, name, message ?? 'The model is overloaded. Please try again later.');
    default:
      return googleError(status, name, message ?? `emulated ${status} for ${context.model}`);
  }
}
