import { ProviderError, RouterError, type RouterErrorCode } from '../errors.js';

/** OpenAI's error body: what its SDKs parse into their typed errors. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error the handler answers with: a status, OpenAI's body, and headers. */
export class HttpError {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly code: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * The HTTP status of each `RouterError` code. `no_eligible_model` is 400, not 404: the
 * route and the model exist, but this request (its tools, images, size or cost) cannot be
 * served under the tenant's policy; the message lists why, and the client can change the
 * request. A model id the catalog does not know is 404 (`model_not_found`), as OpenAI answers.
 * `invalid_config` during a call is the operator's (a provider SDK not installed, a tenant
 * source that returned an invalid policy): 500, since no change of the request cures it.
 */
const STATUS: Record<RouterErrorCode, number> = {
  invalid_request: 400,
  invalid_config: 500,
  tenant_not_found: 401,
  policy_denied: 403,
  guardrail_blocked: 400,
  rate_limited: 429,
  budget_exceeded: 429,
  no_eligible_model: 400,
  providers_exhausted: 502,
  timeout: 504,
  aborted: 499,
  store_unavailable: 503,
  internal: 500,
};

/** OpenAI's `type` for a status. */
function typeOf(status: number, code: string): string {
  if (code === 'budget_exceeded') return 'insufficient_quota';
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 ? 'server_error' : 'invalid_request_error';
  }
}

// The access stage's message for a forced id outside the catalog (src/stages/access.ts).
const UNKNOWN_MODEL = /^forceModel '.*' is not in the model catalog/;

/**
 * The `HttpError` for anything a call threw. A `providers_exhausted` whose last failure was
 * the provider's `content_filter` (a flagged prompt, which ends the call) is a 400 with code
 * `content_filter`; `context_length` is OpenAI's 400 `context_length_exceeded`. Rate limits,
 * budgets and an unavailable store carry `retry-after` (seconds, rounded up) from
 * `retryAfterMs`; every error says `x-should-retry` (read by OpenAI's SDKs) from `retryable`.
 * Anything that is not a `RouterError` is a 500 whose message says nothing of its cause.
 */
export function httpErrorOf(error: unknown): HttpError {
  if (!RouterError.isInstance(error))
    return new HttpError(500, 'internal error in the routeplane handler', 'internal');
  const headers: Record<string, string> = { 'x-should-retry': String(error.retryable) };
  if (error.requestId !== undefined) headers['x-routeplane-request-id'] = error.requestId;
  if (error.retryAfterMs !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  if (error.code === 'invalid_request' && UNKNOWN_MODEL.test(error.message))
    return new HttpError(404, error.message, 'model_not_found', 'model', headers);
  if (error.code === 'providers_exhausted' && ProviderError.isInstance(error.cause)) {
    if (error.cause.code === 'content_filter')
      return new HttpError(400, error.message, 'content_filter', null, headers);
    if (error.cause.code === 'context_length')
      return new HttpError(400, error.message, 'context_length_exceeded', 'messages', headers);
  }
  const param = error.code === 'policy_denied' && /may not use model/.test(error.message) ? 'model' : null;
  return new HttpError(STATUS[error.code] ?? 500, error.message, error.code, param, headers);
}

/** The JSON response of an `HttpError`. */
export function errorResponse(error: HttpError, extraHeaders?: Record<string, string>): Response {
  const body: OpenAIErrorBody = {
    error: {
      message: error.message,
      type: typeOf(error.status, error.code),
      param: error.param,
      code: error.code,
    },
  };
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { 'content-type': 'application/json', ...error.headers, ...extraHeaders },
  });
}
