import { ProviderError, type ProviderErrorCode, redactSecrets } from '../errors.js';

/** What an adapter could read off a failed SDK call, before classification. */
export interface FailureFacts {
  provider: string;
  model?: string;
  status?: number;
  message: string;
  /** Response headers, when there was a response. */
  headers?: HeaderSource;
  /** The provider's error type or code from the body. */
  providerCode?: string;
  /** The failure happened before any response: DNS, refused, reset, TLS. */
  connection?: boolean;
  /** The request was aborted or timed out on our side. */
  timedOut?: boolean;
  /**
   * The provider answered, but not with a usable body: malformed JSON, a body that fails
   * response validation, a generation it reports as failed. Always `server_error`, whatever
   * the status: the provider's fault, worth another try.
   */
  malformed?: boolean;
  /** Keys the adapter knows, removed from the message. */
  secrets?: Iterable<string>;
}

/**
 * What an adapter reads off its SDK's error: the response's status and headers, and the
 * body's own error message and type, each only when the SDK gave it.
 */
export type ResponseFacts = Partial<Pick<FailureFacts, 'status' | 'headers' | 'message' | 'providerCode'>>;

/** Headers as the SDKs expose them: a fetch `Headers`, or a plain record. */
export type HeaderSource =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

export function readHeader(headers: HeaderSource | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? record[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads how long the provider asks us to wait: `retry-after-ms` (OpenAI), then
 * `retry-after` as seconds or an HTTP date. Undefined when absent or unreadable.
 */
export function parseRetryAfterMs(
  headers: HeaderSource | undefined,
  now: number = Date.now(),
): number | undefined {
  const ms = readHeader(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const after = readHeader(headers, 'retry-after');
  if (after === undefined) return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(after);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return undefined;
}

const CONTEXT_LENGTH_HINTS =
  /context[_ ]length|context window|maximum context|too many tokens|prompt is too long|max_tokens.*exceed|input.*too long|tokens? exceeds?/i;
const CONTENT_FILTER_HINTS = /content[_ ]?(filter|policy|management)|safety|moderation/i;

/**
 * The one mapping from an HTTP failure to a code, shared by the adapters so the three
 * providers agree: 429 rate_limited; 529 and 503 overloaded; other 5xx server_error;
 * 408 timeout; 401/403 auth; 404 not_found; 400/413/422 bad_request, refined into
 * context_length or content_filter by the provider's code and message. A malformed answer
 * is server_error whatever its status; our own timeout is timeout; no status at all is
 * connection.
 */
export function classifyFailure(facts: FailureFacts): ProviderError {
  const { status } = facts;
  const code = failureCode(facts);
  const retryAfterMs = status === undefined ? undefined : parseRetryAfterMs(facts.headers);
  const where = facts.model ? `${facts.provider} (${facts.model})` : facts.provider;
  const statusText = status === undefined ? '' : ` ${status}`;
  const message = `${where} failed with ${code}${statusText}: ${redactSecrets(facts.message, facts.secrets)}`;
  return new ProviderError(code, message, {
    provider: facts.provider,
    ...(facts.model !== undefined && { model: facts.model }),
    ...(status !== undefined && { status }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(facts.providerCode !== undefined && { providerCode: facts.providerCode }),
  });
}

function failureCode(facts: FailureFacts): ProviderErrorCode {
  const { status } = facts;
  if (facts.malformed) return 'server_error';
  // Without a status there was no response: a connection failure, unless we cut it ourselves.
  if (facts.timedOut) return 'timeout';
  if (status === undefined) return 'connection';
  if (status === 429) return 'rate_limited';
  if (status === 529 || status === 503) return 'overloaded';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  const hint = `${facts.providerCode ?? ''} ${facts.message}`;
  if (CONTEXT_LENGTH_HINTS.test(hint)) return 'context_length';
  if (CONTENT_FILTER_HINTS.test(hint)) return 'content_filter';
  return 'bad_request';
}

/**
 * The same failure under another code, its message reworded to match. For the few cases
 * where an adapter knows better than the status (or its absence) what happened.
 */
export function withCode(error: ProviderError, code: ProviderErrorCode): ProviderError {
  if (error.code === code) return error;
  return new ProviderError(code, error.message.replace(`failed with ${error.code}`, `failed with ${code}`), {
    provider: error.provider,
    ...(error.model !== undefined && { model: error.model }),
    ...(error.status !== undefined && { status: error.status }),
    ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
    ...(error.providerCode !== undefined && { providerCode: error.providerCode }),
  });
}

/** What an adapter's classifier needs besides the error. */
export interface FailureContext {
  /** The provider entry name. */
  provider: string;
  model?: string;
  /** Keys to remove from the message. */
  secrets: Iterable<string>;
  /** The request's signal had fired: whatever the SDK threw, the cause is the abort. */
  aborted?: boolean;
}

/** The facts every classification starts from: who failed, and which keys to keep out of the message. */
export function contextFacts(context: FailureContext): Pick<FailureFacts, 'provider' | 'model' | 'secrets'> {
  return {
    provider: context.provider,
    ...(context.model !== undefined && { model: context.model }),
    secrets: context.secrets,
  };
}

/** A stream that ended before its last event: a cut connection, or an abort the SDK swallowed. */
export class IncompleteStreamError extends Error {
  override readonly name = 'IncompleteStreamError';
}

/** True for a non-null object, whose fields may then be read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The class name and the `name` of an error, either of which the SDKs use to tell their errors apart. */
export function errorNames(error: unknown): string[] {
  if (!isRecord(error)) return [];
  const out: string[] = [];
  if (typeof error.constructor === 'function') out.push(error.constructor.name);
  if (typeof error.name === 'string') out.push(error.name);
  return out;
}

/** The `message` of an error (or of anything carrying one), else the thing itself as a string. */
export function errorMessage(error: unknown): string {
  if (isRecord(error) && typeof error.message === 'string') return error.message;
  return String(error);
}

const ABORT_NAMES: ReadonlySet<string> = new Set(['AbortError', 'APIUserAbortError', 'RequestAbortedError']);

/** True when `error` is an abort raised by an AbortSignal (ours or the SDK's wrapper of it). */
export function isAbortError(error: unknown): boolean {
  // The Stainless SDKs leave `name` as 'Error'; their class name is what tells.
  return errorNames(error).some((name) => ABORT_NAMES.has(name));
}

// The SDKs' own timeouts (Stainless, Speakeasy), and the DOMException named TimeoutError
// that AbortSignal.timeout() rejects with.
const TIMEOUT_NAMES: ReadonlySet<string> = new Set([
  'APIConnectionTimeoutError',
  'RequestTimeoutError',
  'TimeoutError',
]);

/** True when the request was aborted or timed out on our side: an abort, or an SDK's own timeout. */
export function isTimeout(error: unknown): boolean {
  return errorNames(error).some((name) => ABORT_NAMES.has(name) || TIMEOUT_NAMES.has(name));
}

// undici reports a refused, reset or cut connection as TypeError('fetch failed' |
// 'terminated') whose cause carries a code (ECONNRESET, UND_ERR_SOCKET…).
const NETWORK_CODE = /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/;
const NETWORK_MESSAGE = /^(terminated|fetch failed)$|socket|network/i;

/**
 * True when no usable response came: an `IncompleteStreamError`, the Stainless SDKs'
 * `APIConnectionError`, or a network error code or undici TypeError up to four `cause`s deep.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof IncompleteStreamError || errorNames(error).includes('APIConnectionError')) return true;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && isRecord(current); depth++) {
    if (typeof current.code === 'string' && NETWORK_CODE.test(current.code)) return true;
    if (current instanceof TypeError && NETWORK_MESSAGE.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}
