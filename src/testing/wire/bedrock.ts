// The Bedrock runtime's wire for Claude: the Anthropic messages wire (src/testing/wire/anthropic.ts)
// for the answer's content, inside Bedrock's paths, event-stream framing, errors and headers.
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
import { anthropicWire } from './anthropic.js';
import { bedrockChunk, bedrockException } from './event-stream.js';

const INVOKE = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/;

/**
 * Claude on Amazon Bedrock: `POST /model/{modelId}/invoke` (the Messages API's JSON answer)
 * and `/invoke-with-response-stream` (each Anthropic stream event as a `chunk` message of
 * the AWS event-stream framing, `{ "bytes": base64 }`). The body is a Messages request
 * without `model` (the path names it) and with `anthropic_version: 'bedrock-2023-05-31'`. Errors are Bedrock's: a
 * `{ "message" }` body typed by the `x-amzn-errortype` header. Requests are accepted with any
 * SigV4 signature (or Bedrock API key); the access key id is the request's `apiKey`. The
 * SDK's baseURL is `${url}/bedrock`.
 */
export const bedrockWire: WireFormat = {
  provider: 'bedrock',
  path: '/model/{modelId}/invoke',
  route(path): WireRoute | undefined {
    const match = INVOKE.exec(path);
    if (!match) return undefined;
    return { model: decodeURIComponent(match[1]!), stream: match[2] === 'invoke-with-response-stream' };
  },
  streamContentType: 'application/vnd.amazon.eventstream',
  read(body, route) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { invalid: 'Malformed input request, please reformat your input and try again.' };
    }
    const fields = body as Record<string, unknown>;
    // The messages of the real service's schema validation.
    if ('model' in fields)
      return { invalid: 'Malformed input request: extraneous key [model] is not permitted' };
    if (typeof fields.anthropic_version !== 'string') {
      return { invalid: 'Malformed input request: #: required key [anthropic_version] not found' };
    }
    // Anthropic's Bedrock guide: the ARN-versioned models refuse the SDK's default version.
    if (fields.anthropic_version !== 'bedrock-2023-05-31') {
      return {
        invalid: `anthropic_version ${fields.anthropic_version} is not supported for this model; use bedrock-2023-05-31`,
      };
    }
    return anthropicWire.read({ ...fields, model: route?.model ?? '', stream: route?.stream === true });
  },
  requestId: (ids) => uuid(ids),
  toolCallId: (ids) => `toolu_bdrk_01${ids.alnum(22)}`,
  json: (answer, request, ids) => {
    const message = anthropicWire.json(answer, request, ids) as Record<string, unknown>;
    return { ...message, id: `msg_bdrk_01${ids.alnum(22)}` };
  },
  sse: renderStream,
  error: renderError,
  quotaError: (context) =>
    exception(
      400,
      'ServiceQuotaExceededException',
      `Your request exceeded the service quota for your account for ${context.model}. You can view your quotas in the Service Quotas console.`,
    ),
  policyFlag: () => exception(400, 'ValidationException', 'Output blocked by content filtering policy'),
  failure: (kind, context) => renderError(kind === 'overloaded' ? 503 : 500, context),
  headers: (_status, context) => ({ 'x-amzn-requestid': context.requestId }),
  // A chunk whose bytes are not JSON: the SDK fails it as it decodes the frame.
  malformedEvent: bedrockChunk('{"malformed": '),
};

/** The exception Bedrock answers each status with. */
const EXCEPTIONS: Record<number, { type: string; message: (model: string) => string }> = {
  400: {
    type: 'ValidationException',
    message: () => 'Malformed input request, please reformat your input and try again.',
  },
  403: {
    type: 'AccessDeniedException',
    message: () => "You don't have access to the model with the specified model ID.",
  },
  404: {
    type: 'ResourceNotFoundException',
    message: () => 'Could not resolve the foundation model from the provided model identifier.',
  },
  408: {
    type: 'ModelTimeoutException',
    message: (model) => `Model ${model} timed out processing the request.`,
  },
  424: { type: 'ModelErrorException', message: (model) => `The model ${model} returned an error.` },
  429: { type: 'ThrottlingException', message: () => 'Too many requests, please wait before trying again.' },
  500: {
    type: 'InternalServerException',
    message: () => 'The system encountered an unexpected error during processing. Try your request again.',
  },
  503: { type: 'ServiceUnavailableException', message: () => 'Bedrock is unable to process your request.' },
};

function exception(status: number, type: string, message: string): WireError {
  return {
    status,
    body: { message },
    headers: { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` },
  };
}

/**
 * Bedrock's error for `status`: `{ "message" }` and `x-amzn-errortype`. A 529 (Anthropic's
 * overloaded, which Bedrock does not send) becomes a `ServiceUnavailableException` with the
 * status asked for.
 */
function renderError(status: number, context: WireContext, message?: string): WireError {
  const known = EXCEPTIONS[status] ?? EXCEPTIONS[status >= 500 ? 503 : 400]!;
  return exception(status, known.type, message ?? known.message(context.model));
}

/**
 * The Anthropic events of the answer, each the `bytes` of a `chunk` message; the last
 * (`message_stop`) carries `amazon-bedrock-invocationMetrics` as Bedrock adds it.
 */
function renderStream(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): SseStream {
  const anthropic = anthropicWire.sse(answer, request, ids);
  const events: SseEvent[] = anthropic.events.map((event) => {
    let data = dataOf(event.data);
    const parsed = JSON.parse(data) as { type: string };
    if (parsed.type === 'message_stop') {
      data = JSON.stringify({
        ...parsed,
        'amazon-bedrock-invocationMetrics': {
          inputTokenCount: answer.usage.inputTokens,
          outputTokenCount: answer.usage.outputTokens,
          invocationLatency: 0,
          firstByteLatency: 0,
        },
      });
    }
    return { data: bedrockChunk(data), ...(event.part && { part: true }) };
  });
  return { events, failure: streamFailure };
}

/** A failure mid-stream: an exception message (`serviceUnavailableException`, `internalServerException`). */
function streamFailure(kind: StreamErrorKind, context: WireContext): Uint8Array[] {
  const status = kind === 'overloaded' ? 503 : 500;
  const { type, message } = EXCEPTIONS[status]!;
  return [bedrockException(type.charAt(0).toLowerCase() + type.slice(1), message(context.model))];
}

/** The JSON of an SSE block's `data:` line. */
function dataOf(block: string | Uint8Array): string {
  const text = typeof block === 'string' ? block : Buffer.from(block).toString('utf8');
  const line = text.split('\n').find((l) => l.startsWith('data: '));
  return line ? line.slice(6) : '{}';
}

function uuid(ids: IdSource): string {
  return `${ids.hex(8)}-${ids.hex(4)}-4${ids.hex(3)}-a${ids.hex(3)}-${ids.hex(12)}`;
}
