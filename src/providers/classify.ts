// Longer than most files on purpose: the one mapping from a provider failure to a code,
// shared by every adapter (statuses, bodies, retry hints), so the providers agree.
import { isRetryableCode, ProviderError, type ProviderErrorCode, redactSecrets } from '../errors.js';

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
  /** The clock for wait hints given as a date (`retry-after`, `anthropic-ratelimit-*-reset`). */
  now?: number;
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

// OpenAI: `x-ratelimit-reset-{requests,tokens}` hold a duration ("174ms", "6s", "1m30s", "6m0s").
const OPENAI_LIMITS = ['requests', 'tokens'] as const;
// Anthropic: `anthropic-ratelimit-{…}-reset` hold the RFC 3339 time the limit is replenished.
const ANTHROPIC_LIMITS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;

/**
 * Reads the wait a 429 implies from the providers' rate-limit headers, for answers without
 * `retry-after`: OpenAI's `x-ratelimit-reset-*` durations and Anthropic's
 * `anthropic-ratelimit-*-reset` times. When a limit says it has nothing left
 * (`…-remaining: 0`), only the exhausted limits count; otherwise every reset given does.
 * The longest of those is the wait: the limit that refused the call may be any of them.
 *
 * An Anthropic reset time is measured from the response's own `date` header when it has one
 * (both from the provider's clock, so local clock skew does not matter), else from `now`.
 */
export function parseRateLimitResetMs(
  headers: HeaderSource | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const resets: { ms: number; exhausted: boolean }[] = [];
  for (const limit of OPENAI_LIMITS) {
    const ms = parseDurationMs(readHeader(headers, `x-ratelimit-reset-${limit}`));
    if (ms !== undefined) {
      resets.push({ ms, exhausted: readHeader(headers, `x-ratelimit-remaining-${limit}`) === '0' });
    }
  }
  const served = Date.parse(readHeader(headers, 'date') ?? '');
  const reference = Number.isFinite(served) ? served : now;
  for (const limit of ANTHROPIC_LIMITS) {
    const at = Date.parse(readHeader(headers, `anthropic-ratelimit-${limit}-reset`) ?? '');
    if (Number.isFinite(at)) {
      resets.push({
        ms: Math.max(0, at - reference),
        exhausted: readHeader(headers, `anthropic-ratelimit-${limit}-remaining`) === '0',
      });
    }
  }
  if (resets.length === 0) return undefined;
  const exhausted = resets.filter((reset) => reset.exhausted);
  return Math.max(...(exhausted.length > 0 ? exhausted : resets).map((reset) => reset.ms));
}

const DURATION =
  /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/;

/** Parses a Go-style duration as OpenAI writes it ("174ms", "6s", "1m30s", "1h2m3.5s"). */
export function parseDurationMs(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const match = DURATION.exec(text.trim());
  if (!match || match.slice(1).every((part) => part === undefined)) return undefined;
  const [, h = '0', m = '0', sec = '0', ms = '0'] = match;
  return Math.round(Number(h) * 3_600_000 + Number(m) * 60_000 + Number(sec) * 1000 + Number(ms));
}

const CONTEXT_LENGTH_HINTS =
  /context[_ ]length|context window|maximum context|too many tokens|prompt is too long|max_tokens.*exceed|input.*too long|tokens? exceeds?/i;
const CONTENT_FILTER_HINTS =
  /content[_ ]?(filter|policy|management)|safety|moderation|invalid_prompt|flagged as potentially violating/i;
// Billing, not rate: OpenAI's 429 `insufficient_quota`, Anthropic's `billing_error` and its
// 400 "Your credit balance is too low to access the Anthropic API".
const QUOTA_HINTS = /insufficient_quota|billing_error|credit balance is too low|exceeded your current quota/i;

/**
 * The one mapping from an HTTP failure to a code, shared by the adapters so the three
 * providers agree: 429 rate_limited, unless its code or message says the credential's
 * quota or credit is spent (quota_exceeded, as is 402); 529 and 503 overloaded; other 5xx
 * server_error; 409 server_error (a conflict the official SDKs retry); 408 timeout;
 * 401/403 auth; 404 not_found; 400/413/422 bad_request, refined into quota_exceeded,
 * context_length or content_filter (a prompt flagged by the usage policy) by the provider's
 * code and message. A malformed answer is server_error whatever its status; our own
 * timeout is timeout; no status at all is connection.
 *
 * The wait (`retryAfterMs`) is `retry-after-ms` / `retry-after`, else for a 429 the
 * rate-limit reset headers (`parseRateLimitResetMs`). `x-should-retry: true|false`
 * overrides whether the failure is retryable, as the official SDKs let it, except that it
 * never makes a spent quota or a flagged prompt retryable.
 */
export function classifyFailure(facts: FailureFacts): ProviderError {
  const { status } = facts;
  const code = failureCode(facts);
  const now = facts.now ?? Date.now();
  const retryAfterMs =
    status === undefined
      ? undefined
      : (parseRetryAfterMs(facts.headers, now) ??
        (status === 429 ? parseRateLimitResetMs(facts.headers, now) : undefined));
  const retryable = shouldRetryOverride(facts.headers, code);
  const where = facts.model ? `${facts.provider} (${facts.model})` : facts.provider;
  const statusText = status === undefined ? '' : ` ${status}`;
  const message = `${where} failed with ${code}${statusText}: ${redactSecrets(facts.message, facts.secrets)}`;
  return new ProviderError(code, message, {
    provider: facts.provider,
    ...(facts.model !== undefined && { model: facts.model }),
    ...(status !== undefined && { status }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(facts.providerCode !== undefined && { providerCode: facts.providerCode }),
    ...(retryable !== undefined && { retryable }),
  });
}

/** What `x-should-retry` says, when it says something the code does not already imply. */
function shouldRetryOverride(
  headers: HeaderSource | undefined,
  code: ProviderErrorCode,
): boolean | undefined {
  const said = readHeader(headers, 'x-should-retry');
  let retryable: boolean | undefined;
  if (said === 'false') retryable = false;
  else if (said === 'true' && code !== 'quota_exceeded' && code !== 'content_filter') retryable = true;
  return retryable === undefined || retryable === isRetryableCode(code) ? undefined : retryable;
}

function failureCode(facts: FailureFacts): ProviderErrorCode {
  const { status } = facts;
  if (facts.malformed) return 'server_error';
  // Without a status there was no response: a connection failure, unless we cut it ourselves.
  if (facts.timedOut) return 'timeout';
  if (status === undefined) return 'connection';
  const hint = `${facts.providerCode ?? ''} ${facts.message}`;
  if (status === 402) return 'quota_exceeded';
  if (status === 429) return QUOTA_HINTS.test(hint) ? 'quota_exceeded' : 'rate_limited';
  if (status === 529 || status === 503) return 'overloaded';
  if (status === 408) return 'timeout';
  if (status === 409) return 'server_error';
  if (status >= 500) return 'server_error';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (QUOTA_HINTS.test(hint)) return 'quota_exceeded';
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
    // A retryability the provider dictated (x-should-retry) survives the change of code.
    ...(error.retryable !== isRetryableCode(error.code) && { retryable: error.retryable }),
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
