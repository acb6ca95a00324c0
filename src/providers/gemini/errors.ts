import { ProviderError, type ProviderErrorCode } from '../../errors.js';
import {
  classifyFailure,
  contextFacts,
  errorMessage,
  errorNames,
  type FailureContext,
  IncompleteStreamError,
  isConnectionFailure,
  isRecord,
  isTimeout,
  withCode,
} from '../classify.js';

/** What Gemini's error body (`{ error: { code, message, status, details } }`) says. */
export interface GeminiErrorBody {
  message?: string;
  /** The canonical status name: `RESOURCE_EXHAUSTED`, `INVALID_ARGUMENT`… */
  status?: string;
  /** `RetryInfo.retryDelay`, in milliseconds. */
  retryDelayMs?: number;
  /** `QuotaFailure` violations' `quotaId`s, and `ErrorInfo` reasons. */
  quotaIds: string[];
  reasons: string[];
}

// Gemini words per-minute rate limits as "You exceeded your current quota, please check your
// plan and billing details", so neither phrase means billing here; a spent prepayment, a
// spend cap or a disabled billing account does, as does a daily quota without a wait.
const BILLING =
  /credits? (?:are |is )?(?:depleted|exhausted)|prepa(?:id|yment)|spend(?:ing)? (?:cap|limit)|billing (?:account|is not enabled|disabled)/i;
const DAILY_QUOTA = /PerDay/;
// "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."
const CONTEXT_LENGTH = /input token count.*exceeds|exceeds the maximum number of tokens/i;
const BAD_KEY = /API_KEY_INVALID|API key not valid|API key expired/i;
// A 200 the SDK could not read: a body or stream event that is not JSON.
const MALFORMED_NAMES: ReadonlySet<string> = new Set(['SyntaxError']);
const MALFORMED_MESSAGE =
  /^exception parsing stream chunk|Unexpected token|is not valid JSON|Unexpected end of JSON/;

/**
 * Reads Gemini's error JSON out of an SDK `ApiError` message, which is the body itself
 * (`{"error":{…}}`) or, for an error sent inside a stream, `got status: … {"error":{…}}`.
 */
export function readGeminiError(message: string): GeminiErrorBody | undefined {
  const start = message.indexOf('{');
  if (start === -1) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(message.slice(start));
  } catch {
    return undefined;
  }
  const error = isRecord(body) ? body.error : undefined;
  if (!isRecord(error)) return undefined;
  const out: GeminiErrorBody = { quotaIds: [], reasons: [] };
  if (typeof error.message === 'string') out.message = error.message;
  if (typeof error.status === 'string') out.status = error.status;
  for (const detail of Array.isArray(error.details) ? error.details : []) {
    if (!isRecord(detail)) continue;
    const delay = parseDelayMs(detail.retryDelay);
    if (delay !== undefined) out.retryDelayMs = delay;
    if (typeof detail.reason === 'string') out.reasons.push(detail.reason);
    for (const violation of Array.isArray(detail.violations) ? detail.violations : []) {
      if (isRecord(violation) && typeof violation.quotaId === 'string') out.quotaIds.push(violation.quotaId);
    }
  }
  return out;
}

/** A protobuf JSON duration (`"34.4s"`, `"1s"`) in milliseconds. */
function parseDelayMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/**
 * Classifies anything the `@google/genai` SDK threw into a secret-free `ProviderError`, by
 * duck typing: an `ApiError` (`name: 'ApiError'`, `status`, the body as its message) is
 * read for its status, canonical status name and details:
 * - 429 `RESOURCE_EXHAUSTED`: `rate_limited`, waiting the `RetryInfo.retryDelay`; but
 *   `quota_exceeded` when the message speaks of billing, credits or a spend cap, or a daily
 *   quota is exhausted without a delay to wait;
 * - 400 `INVALID_ARGUMENT`: `bad_request`, `context_length` when the input is over the
 *   window, `auth` for an invalid API key (Gemini answers a bad key with 400);
 * - 401, 403 `PERMISSION_DENIED`: `auth`; 404: `not_found`; 503 `UNAVAILABLE`:
 *   `overloaded`; 500 and other 5xx: `server_error`; 504 `DEADLINE_EXCEEDED`: `server_error`.
 * Besides: an abort or the caller's signal is `timeout`; a body that is not JSON is
 * `server_error`; a cut connection (a stream ended mid-event, an undici `terminated`) is
 * `connection`; an error the SDK raised before sending is `bad_request`.
 */
export function classifyGeminiError(error: unknown, context: FailureContext): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  const message = errorMessage(error) || String(error);
  const base = { ...contextFacts(context), message };
  if (context.aborted || isTimeout(error)) return classifyFailure({ ...base, timedOut: true });
  const status = isRecord(error) && typeof error.status === 'number' ? error.status : undefined;
  if (errorNames(error).includes('ApiError') && status !== undefined) {
    const body = readGeminiError(message);
    const failure = classifyFailure({
      ...base,
      status,
      message: body?.message ?? message,
      ...(body?.status !== undefined && { providerCode: body.status }),
      ...(body?.retryDelayMs !== undefined && { headers: { 'retry-after-ms': String(body.retryDelayMs) } }),
    });
    const code = refine(status, failure.code, body);
    return code === failure.code ? failure : withCode(failure, code);
  }
  if (errorNames(error).some((name) => MALFORMED_NAMES.has(name)) || MALFORMED_MESSAGE.test(message)) {
    return classifyFailure({ ...base, message: `malformed response: ${message}`, malformed: true });
  }
  if (
    error instanceof IncompleteStreamError ||
    isConnectionFailure(error) ||
    /^Incomplete JSON segment/.test(message)
  ) {
    return classifyFailure({ ...base, connection: true });
  }
  // Nothing was sent: the SDK refused the request (a bad parameter, a missing project).
  return withCode(classifyFailure({ ...base, connection: true }), 'bad_request');
}

function refine(
  status: number,
  code: ProviderErrorCode,
  body: GeminiErrorBody | undefined,
): ProviderErrorCode {
  const said = `${body?.message ?? ''} ${body?.reasons.join(' ') ?? ''}`;
  if (status === 429) {
    if (BILLING.test(said)) return 'quota_exceeded';
    if (body?.retryDelayMs === undefined && body?.quotaIds.some((id) => DAILY_QUOTA.test(id))) {
      return 'quota_exceeded';
    }
    return 'rate_limited';
  }
  if (status === 400 && BAD_KEY.test(said)) return 'auth';
  if (status === 400 && CONTEXT_LENGTH.test(said)) return 'context_length';
  return code;
}
