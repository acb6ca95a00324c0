import { APICallError } from '@ai-sdk/provider';
import { RouterError, type RouterErrorCode } from '../errors.js';
import type { ChatRequest } from '../types.js';

/**
 * The HTTP status an AI SDK user sees for each router error code, as `APICallError.statusCode`:
 * the status a gateway would answer with.
 */
export const STATUS_OF_CODE: Readonly<Record<RouterErrorCode, number>> = {
  invalid_request: 400,
  invalid_config: 500,
  tenant_not_found: 401,
  policy_denied: 403,
  guardrail_blocked: 403,
  rate_limited: 429,
  budget_exceeded: 429,
  no_eligible_model: 400,
  providers_exhausted: 502,
  timeout: 504,
  // The caller's own abort is rethrown as the signal's reason; this is the router closing.
  aborted: 503,
  store_unavailable: 503,
  internal: 500,
};

/** What an `APICallError` from `aiSdkModel()` carries as `data`. */
export interface AiSdkErrorData {
  /** The `RouterError` code: match on it rather than on `statusCode`. */
  code: RouterErrorCode;
  tenant: string | undefined;
  requestId: string | undefined;
  /** For `rate_limited`, `budget_exceeded` and `store_unavailable`: when to try again. */
  retryAfterMs?: number;
}

/**
 * A router failure as the AI SDK's `APICallError`, with `isRetryable: false` whatever the
 * code: the router has already retried and fallen back within its policy, so the AI SDK
 * must not run the call (with its budget reservation and audit record) again. The
 * `RouterError` is the `cause`; `requestBodyValues` holds the routing fields only, not the
 * prompt, so that the error can be logged. Anything else is returned as it is.
 */
export function toApiCallError(error: unknown, request: ChatRequest, url: string): unknown {
  if (!RouterError.isInstance(error)) return error;
  const data: AiSdkErrorData = {
    code: error.code,
    tenant: error.tenant ?? request.tenant,
    requestId: error.requestId,
  };
  if (error.retryAfterMs !== undefined) data.retryAfterMs = error.retryAfterMs;
  const options: ConstructorParameters<typeof APICallError>[0] = {
    message: error.message,
    url,
    requestBodyValues: routingFields(request),
    statusCode: STATUS_OF_CODE[error.code],
    isRetryable: false,
    cause: error,
    data,
  };
  if (error.retryAfterMs !== undefined)
    options.responseHeaders = { 'retry-after': String(Math.ceil(error.retryAfterMs / 1000)) };
  return new APICallError(options);
}

function routingFields(request: ChatRequest): Record<string, unknown> {
  const { messages: _messages, signal: _signal, tools, vars: _vars, ...rest } = request;
  return tools === undefined ? rest : { ...rest, tools: tools.map((t) => t.name) };
}
