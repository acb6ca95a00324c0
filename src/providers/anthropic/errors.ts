import { ProviderError, type ProviderErrorCode } from '../../errors.js';
import { classifyFailure, type HeaderSource, isAbortError } from '../classify.js';

/** A stream that ended without `message_stop`: a cut connection, or an abort the SDK swallowed. */
export class IncompleteStreamError extends Error {
  override readonly name = 'IncompleteStreamError';
}

/** What `classifyAnthropicError()` needs besides the error. */
export interface ClassifyContext {
  /** The provider entry name. */
  provider: string;
  model?: string;
  /** Keys to remove from the message. */
  secrets: Iterable<string>;
  /** The request's signal had fired: whatever the SDK threw, the cause is the abort. */
  aborted?: boolean;
}

/**
 * Classifies anything `@anthropic-ai/sdk` (or a stream from it) threw into a secret-free
 * `ProviderError`, through the shared `classifyFailure()`:
 *
 * - an abort of the request's signal, or the SDK's own timeout → `timeout`;
 * - an HTTP error → by status (529 `overloaded_error` → `overloaded`, a 400 "prompt is too
 *   long" → `context_length`), with `retry-after` as `retryAfterMs`; a 413
 *   `request_too_large` → `context_length`, since the same request can never fit this model;
 * - an `error` event inside a 200 stream → by its error type, as the API would have sent it
 *   before the stream started (`overloaded_error` → `overloaded`), without a status;
 * - no response, or a response cut short (refused, reset, stream without `message_stop`) →
 *   `connection`;
 * - the SDK finding no credentials → `auth`;
 * - anything else, such as a 200 body that is not JSON → `server_error`: the provider's fault,
 *   worth another try.
 *
 * The SDK's errors are duck-typed (status, headers, body, class name), never checked with
 * `instanceof`, so a client from another copy of the SDK is classified the same way.
 */
export function classifyAnthropicError(error: unknown, context: ClassifyContext): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  const base = {
    provider: context.provider,
    ...(context.model !== undefined && { model: context.model }),
    secrets: context.secrets,
  };
  const api = readApiError(error);
  const message = api?.message ?? errorMessage(error);
  if (context.aborted || isTimeout(error)) return classifyFailure({ ...base, message, timedOut: true });

  if (api?.status !== undefined) {
    const classified = classifyFailure({
      ...base,
      status: api.status,
      message,
      ...(api.headers && { headers: api.headers }),
      ...(api.type !== undefined && { providerCode: api.type }),
    });
    return api.status === 413 ? withCode(classified, 'context_length') : classified;
  }

  const withoutStatus = classifyFailure({
    ...base,
    message,
    connection: true,
    ...(api?.type !== undefined && { providerCode: api.type }),
  });
  const eventStatus = api?.type === undefined ? undefined : STATUS_BY_ERROR_TYPE[api.type];
  if (eventStatus !== undefined) {
    return withCode(withoutStatus, classifyFailure({ ...base, status: eventStatus, message }).code);
  }
  if (isConnectionFailure(error)) return withoutStatus;
  if (NO_CREDENTIALS.test(message)) return withCode(withoutStatus, 'auth');
  return withCode(withoutStatus, 'server_error');
}

// The status the API answers each error type with, for errors that arrive as a stream event.
const STATUS_BY_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

const NO_CREDENTIALS = /could not resolve authentication/i;

/**
 * The same failure under another code. `classifyFailure()` owns the mapping from a status;
 * this covers the few Anthropic cases a status alone does not decide, keeping its message.
 */
function withCode(error: ProviderError, code: ProviderErrorCode): ProviderError {
  if (error.code === code) return error;
  return new ProviderError(code, error.message.replace(`failed with ${error.code}`, `failed with ${code}`), {
    provider: error.provider,
    ...(error.model !== undefined && { model: error.model }),
    ...(error.status !== undefined && { status: error.status }),
    ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
    ...(error.providerCode !== undefined && { providerCode: error.providerCode }),
  });
}

interface ApiErrorFacts {
  status?: number;
  headers?: HeaderSource;
  /** `error.type` of the body: `overloaded_error`, `rate_limit_error`… */
  type?: string;
  /** `error.message` of the body, without the status the SDK prefixes. */
  message?: string;
}

/** Reads a Stainless `APIError`: `status`, `headers`, and the `{ type, error: { type, message } }` body. */
function readApiError(error: unknown): ApiErrorFacts | undefined {
  if (!isRecord(error)) return undefined;
  const body = isRecord(error.error) ? error.error : undefined;
  const inner = isRecord(body?.error) ? body.error : undefined;
  const status = typeof error.status === 'number' ? error.status : undefined;
  if (status === undefined && !inner) return undefined;
  const facts: ApiErrorFacts = {};
  if (status !== undefined) facts.status = status;
  if (isRecord(error.headers)) facts.headers = error.headers as HeaderSource;
  const type = typeof inner?.type === 'string' ? inner.type : error.type;
  if (typeof type === 'string' && type !== '') facts.type = type;
  if (typeof inner?.message === 'string') facts.message = inner.message;
  return facts;
}

const TIMEOUT_NAMES = new Set(['APIUserAbortError', 'APIConnectionTimeoutError', 'TimeoutError']);

function isTimeout(error: unknown): boolean {
  // AbortSignal.timeout() rejects with a DOMException named TimeoutError.
  return isAbortError(error) || names(error).some((name) => TIMEOUT_NAMES.has(name));
}

// undici reports a refused, reset or cut connection as TypeError('fetch failed' |
// 'terminated') whose cause carries a code (ECONNRESET, UND_ERR_SOCKET…).
const NETWORK_CODE = /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/;
const NETWORK_MESSAGE = /^(terminated|fetch failed)$|socket|network/i;

function isConnectionFailure(error: unknown): boolean {
  if (error instanceof IncompleteStreamError || names(error).includes('APIConnectionError')) return true;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && isRecord(current); depth++) {
    if (typeof current.code === 'string' && NETWORK_CODE.test(current.code)) return true;
    if (current instanceof TypeError && NETWORK_MESSAGE.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

/** The class name and `name` of an error, either of which the SDKs set. */
function names(error: unknown): string[] {
  if (!isRecord(error)) return [];
  const out: string[] = [];
  if (typeof error.constructor === 'function') out.push(error.constructor.name);
  if (typeof error.name === 'string') out.push(error.name);
  return out;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (isRecord(error) && typeof error.message === 'string') return error.message;
  return String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
