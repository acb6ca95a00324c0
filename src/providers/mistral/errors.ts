import { ProviderError, type ProviderErrorCode, redactSecrets } from '../../errors.js';
import { classifyFailure, type HeaderSource } from '../classify.js';

/** Who failed, for the message, and which keys to strip from it. */
export interface FailureContext {
  provider: string;
  model?: string;
  secrets: Iterable<string>;
  /** The caller's signal had fired when the error arrived: whatever the SDK says, we cut it. */
  aborted?: boolean;
}

// The SDK's own error class names (Speakeasy), read by name so that a second copy of the
// SDK in the tree, or one we never imported, is classified the same.
const ABORT_NAMES: ReadonlySet<string> = new Set([
  'RequestAbortedError',
  'RequestTimeoutError',
  'AbortError',
  'TimeoutError',
]);
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
  const name = errorName(error);
  const status = httpStatus(error);
  const message = errorMessage(error);
  const base = {
    provider: context.provider,
    ...(context.model !== undefined && { model: context.model }),
    secrets: context.secrets,
  };

  if (context.aborted || ABORT_NAMES.has(name)) return classifyFailure({ ...base, message, timedOut: true });
  if (status !== undefined && status >= 400) {
    const body = readErrorBody(error);
    return classifyFailure({
      ...base,
      status,
      message: body.message ?? message,
      ...(body.providerCode !== undefined && { providerCode: body.providerCode }),
      ...withHeaders(responseHeaders(error)),
    });
  }
  if (status !== undefined || MALFORMED_NAMES.has(name)) {
    return failureWithoutStatus('server_error', `malformed response: ${message}`, context);
  }
  if (INVALID_INPUT_NAMES.has(name)) return failureWithoutStatus('bad_request', message, context);
  // ConnectionError, UnexpectedClientError, and the bare TypeError ('terminated') of a body
  // cut mid-way: no usable response.
  return classifyFailure({ ...base, message, connection: true });
}

/**
 * A failure that has no HTTP status to classify (a stream that ended without a finish
 * reason, a generation Mistral reports as failed, a malformed 200), worded like
 * `classifyFailure`'s messages.
 */
export function failureWithoutStatus(
  code: ProviderErrorCode,
  message: string,
  context: FailureContext,
): ProviderError {
  if (code === 'connection') {
    return classifyFailure({
      provider: context.provider,
      ...(context.model !== undefined && { model: context.model }),
      message,
      connection: true,
      secrets: context.secrets,
    });
  }
  const where = context.model ? `${context.provider} (${context.model})` : context.provider;
  return new ProviderError(code, `${where} failed with ${code}: ${redactSecrets(message, context.secrets)}`, {
    provider: context.provider,
    ...(context.model !== undefined && { model: context.model }),
  });
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function errorName(error: unknown): string {
  const name = field(error, 'name');
  if (typeof name === 'string' && name !== 'Error') return name;
  const ctor = field(error, 'constructor');
  const ctorName = field(ctor, 'name');
  return typeof ctorName === 'string' ? ctorName : typeof name === 'string' ? name : '';
}

function errorMessage(error: unknown): string {
  const message = field(error, 'message');
  if (typeof message === 'string' && message !== '') return message;
  return String(error);
}

function httpStatus(error: unknown): number | undefined {
  const status = field(error, 'statusCode') ?? field(field(error, 'rawResponse'), 'status');
  return typeof status === 'number' ? status : undefined;
}

function responseHeaders(error: unknown): HeaderSource | undefined {
  const headers = field(field(error, 'rawResponse'), 'headers') ?? field(error, 'headers');
  return typeof headers === 'object' && headers !== null ? (headers as HeaderSource) : undefined;
}

function withHeaders(headers: HeaderSource | undefined): { headers?: HeaderSource } {
  return headers === undefined ? {} : { headers };
}

/**
 * Reads Mistral's error body (`{ object: 'error', message, type, param, code }`, or a bare
 * `{ detail }` from the gateway). `message` may itself be an object holding a validation
 * `detail` list, which is how Mistral words its 422s.
 */
export function readErrorBody(error: unknown): { message?: string; providerCode?: string } {
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
