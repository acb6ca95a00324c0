import { ProviderError } from '../../errors.js';
import {
  classifyFailure,
  contextFacts,
  errorMessage,
  type FailureContext,
  type HeaderSource,
  isConnectionFailure,
  isRecord,
  isTimeout,
  type ResponseFacts,
  withCode,
} from '../classify.js';

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
export function classifyAnthropicError(error: unknown, context: FailureContext): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  const base = contextFacts(context);
  const api = readApiError(error);
  const message = api?.message ?? errorMessage(error);
  if (context.aborted || isTimeout(error)) return classifyFailure({ ...base, message, timedOut: true });

  // What the response said: status, headers, the error type as `providerCode`.
  const facts = { ...base, ...api, message };
  if (api?.status !== undefined) {
    const classified = classifyFailure(facts);
    return api.status === 413 ? withCode(classified, 'context_length') : classified;
  }

  const withoutStatus = classifyFailure({ ...facts, connection: true });
  const eventStatus = api?.providerCode === undefined ? undefined : STATUS_BY_ERROR_TYPE[api.providerCode];
  if (eventStatus !== undefined) {
    return withCode(withoutStatus, classifyFailure({ ...base, status: eventStatus, message }).code);
  }
  if (isConnectionFailure(error)) return withoutStatus;
  if (NO_CREDENTIALS.test(message)) return withCode(withoutStatus, 'auth');
  return classifyFailure({ ...facts, malformed: true });
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

/** Reads a Stainless `APIError`: `status`, `headers`, and the `{ type, error: { type, message } }` body. */
function readApiError(error: unknown): ResponseFacts | undefined {
  if (!isRecord(error)) return undefined;
  const body = isRecord(error.error) ? error.error : undefined;
  const inner = isRecord(body?.error) ? body.error : undefined;
  const status = typeof error.status === 'number' ? error.status : undefined;
  if (status === undefined && !inner) return undefined;
  const facts: ResponseFacts = {};
  if (status !== undefined) facts.status = status;
  if (isRecord(error.headers)) facts.headers = error.headers as HeaderSource;
  const type = typeof inner?.type === 'string' ? inner.type : error.type;
  // `error.type` of the body (`overloaded_error`, `rate_limit_error`…), else the SDK's copy of it.
  if (typeof type === 'string' && type !== '') facts.providerCode = type;
  // The body's message, without the status the SDK prefixes to `error.message`.
  if (typeof inner?.message === 'string') facts.message = inner.message;
  return facts;
}
