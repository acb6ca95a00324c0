import { ProviderError, type ProviderErrorCode, redactSecrets } from '../../errors.js';
import { classifyFailure, type HeaderSource, isAbortError } from '../classify.js';

/** A 200 answer whose body is not a usable completion. */
export class MalformedResponseError extends Error {
  override readonly name = 'MalformedResponseError';
}

/** A stream that ended before its finish reason: a cut connection, or an abort the SDK swallowed. */
export class IncompleteStreamError extends Error {
  override readonly name = 'IncompleteStreamError';
}

/** What `classifyOpenAIError()` needs besides the error. */
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
 * Classifies anything the OpenAI SDK (or a stream from it) threw into a secret-free
 * `ProviderError`, through the shared `classifyFailure()` for everything with an HTTP status:
 *
 * - an abort of the caller's signal, or the SDK's own timeout → `timeout`;
 * - an HTTP error → by status; a 400's `code`/`type` and message refine it into
 *   `context_length` (`context_length_exceeded`) or `content_filter`; `retry-after-ms` and
 *   `retry-after` give `retryAfterMs`;
 * - no response at all (refused, reset, cut mid-body or mid-stream) → `connection`;
 * - a 200 that is not a valid completion (bad JSON, no choices) or an error event inside a
 *   stream → `server_error`: the provider's fault, worth another try.
 *
 * The SDK's error classes are duck-typed (status, headers, error body, class name), never
 * checked with `instanceof`, so a client built from another copy of `openai` is classified
 * the same way.
 */
export function classifyOpenAIError(error: unknown, context: ClassifyContext): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  const facts = {
    provider: context.provider,
    ...(context.model !== undefined && { model: context.model }),
    secrets: context.secrets,
  };
  const message = errorMessage(error);
  if (context.aborted || isTimeout(error)) return classifyFailure({ ...facts, message, timedOut: true });
  const api = readApiError(error);
  if (api?.status !== undefined) {
    return classifyFailure({
      ...facts,
      status: api.status,
      message: api.message ?? message,
      ...(api.headers && { headers: api.headers }),
      ...(api.code !== undefined && { providerCode: api.code }),
    });
  }
  if (isConnectionFailure(error)) return classifyFailure({ ...facts, message, connection: true });
  // An error body without a status is an `error` event inside a 200 stream.
  const detail = api?.message ?? message;
  return serverError(`malformed or failed response: ${detail}`, context, api?.code);
}

/**
 * A `server_error` for a failure with no error status. `classifyFailure()` derives
 * `server_error` only from a 5xx, and inventing one would put a false status on the attempt.
 */
function serverError(
  message: string,
  context: ClassifyContext,
  providerCode: string | undefined,
): ProviderError {
  const code: ProviderErrorCode = 'server_error';
  const where = context.model ? `${context.provider} (${context.model})` : context.provider;
  return new ProviderError(code, `${where} failed with ${code}: ${redactSecrets(message, context.secrets)}`, {
    provider: context.provider,
    ...(context.model !== undefined && { model: context.model }),
    ...(providerCode !== undefined && { providerCode }),
  });
}

interface ApiErrorFacts {
  status?: number;
  headers?: HeaderSource;
  message?: string;
  code?: string;
}

/** Reads the fields of a Stainless `APIError`; undefined for anything without them. */
function readApiError(error: unknown): ApiErrorFacts | undefined {
  if (!isRecord(error)) return undefined;
  const body = isRecord(error.error) ? error.error : undefined;
  const status = typeof error.status === 'number' ? error.status : undefined;
  if (status === undefined && !body) return undefined;
  const facts: ApiErrorFacts = {};
  if (status !== undefined) facts.status = status;
  if (isHeaderSource(error.headers)) facts.headers = error.headers;
  // The body's message, not `error.message`, which the SDK prefixes with the status.
  if (typeof body?.message === 'string') facts.message = body.message;
  const code = firstString(error.code, error.type, body?.code, body?.type);
  if (code !== undefined) facts.code = code;
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

/** The class name and `name` of an error: the SDK's classes set no `name` of their own. */
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

function isHeaderSource(value: unknown): value is HeaderSource {
  return isRecord(value);
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value !== '');
}
