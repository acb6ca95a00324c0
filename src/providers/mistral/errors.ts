import { ProviderError } from '../../errors.js';
import {
  classifyFailure,
  contextFacts,
  errorMessage,
  errorNames,
  type FailureContext,
  type HeaderSource,
  isRecord,
  isTimeout,
  type ResponseFacts,
  withCode,
} from '../classify.js';

// The SDK's own error classes (Speakeasy) are read by name, so that a second copy of the
// SDK in the tree, or one we never imported, is classified the same.
//
// A 200 whose body is not JSON surfaces as a bare SyntaxError; a stream event that is not
// JSON, or JSON of the wrong shape, as a zod error or ResponseValidationError; a 200 of the
// wrong content type as an SDKError with a 2xx status.
const MALFORMED_NAMES: ReadonlySet<string> = new Set([
  'ResponseValidationError',
  'SyntaxError',
  'ZodError',
  '$ZodError',
]);
// Our request failed the SDK's own validation before anything was sent.
const INVALID_INPUT_NAMES: ReadonlySet<string> = new Set(['SDKValidationError', 'InvalidRequestError']);

/**
 * Classifies anything the Mistral SDK threw into a secret-free `ProviderError`, by duck
 * typing (never `instanceof`):
 * - an HTTP error (`SDKError`, `HTTPValidationError` for 422, any `MistralError`): its
 *   `statusCode`, the `rawResponse` headers (`retry-after`) and the `message`/`type` of the
 *   JSON `body`, through `classifyFailure`;
 * - `RequestAbortedError`, `RequestTimeoutError`, or any error once the caller's signal
 *   fired: `timeout`;
 * - a malformed success (bad JSON, a body of the wrong shape or type): `server_error`;
 * - a request the SDK refused to send (`SDKValidationError`): `bad_request`;
 * - anything else, `ConnectionError` and a body cut mid-way included: `connection`.
 * A `ProviderError` is returned as it is.
 */
export function classifyMistralError(error: unknown, context: FailureContext): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  const names = errorNames(error);
  const status = httpStatus(error);
  // An empty message says less than the error's name.
  const message = errorMessage(error) || String(error);
  const base = { ...contextFacts(context), message };

  if (context.aborted || isTimeout(error)) return classifyFailure({ ...base, timedOut: true });
  if (status !== undefined && status >= 400) {
    return classifyFailure({ ...base, status, headers: responseHeaders(error), ...readErrorBody(error) });
  }
  if (status !== undefined || names.some((name) => MALFORMED_NAMES.has(name))) {
    return classifyFailure({ ...base, message: `malformed response: ${message}`, malformed: true });
  }
  // Nothing usable came back. A request the SDK refused to send never left: that is ours.
  const noResponse = classifyFailure({ ...base, connection: true });
  if (names.some((name) => INVALID_INPUT_NAMES.has(name))) return withCode(noResponse, 'bad_request');
  // ConnectionError, UnexpectedClientError, and the bare TypeError ('terminated') of a body
  // cut mid-way.
  return noResponse;
}

function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

function httpStatus(error: unknown): number | undefined {
  const status = field(error, 'statusCode') ?? field(field(error, 'rawResponse'), 'status');
  return typeof status === 'number' ? status : undefined;
}

function responseHeaders(error: unknown): HeaderSource | undefined {
  const headers = field(field(error, 'rawResponse'), 'headers') ?? field(error, 'headers');
  return isRecord(headers) ? (headers as HeaderSource) : undefined;
}

/**
 * Reads Mistral's error body (`{ object: 'error', message, type, param, code }`, or a bare
 * `{ detail }` from the gateway). `message` may itself be an object holding a validation
 * `detail` list, which is how Mistral words its 422s.
 */
export function readErrorBody(error: unknown): ResponseFacts {
  const raw = field(error, 'body');
  if (typeof raw !== 'string' || raw === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { message: raw.slice(0, 500) };
  }
  const message = describe(field(body, 'message')) ?? describe(field(body, 'detail'));
  const type = field(body, 'type');
  const code = field(body, 'code');
  const providerCode =
    typeof type === 'string'
      ? type
      : typeof code === 'string' || typeof code === 'number'
        ? String(code)
        : undefined;
  return {
    ...(message !== undefined && { message }),
    ...(providerCode !== undefined && { providerCode }),
  };
}

function describe(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const parts = value.map(describeIssue).filter((part) => part !== '');
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
  if (typeof value === 'object' && value !== null) {
    return describe(field(value, 'detail')) ?? describe(field(value, 'message')) ?? JSON.stringify(value);
  }
  return undefined;
}

// One FastAPI-style validation issue: `{ loc: ['body', 'messages'], msg: 'Field required' }`.
function describeIssue(issue: unknown): string {
  if (typeof issue === 'string') return issue;
  const msg = field(issue, 'msg');
  if (typeof msg !== 'string') return '';
  const loc = field(issue, 'loc');
  return Array.isArray(loc) && loc.length > 0 ? `${loc.join('.')}: ${msg}` : msg;
}
