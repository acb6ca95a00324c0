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
  /** Keys the adapter knows, removed from the message. */
  secrets?: Iterable<string>;
}

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
 * context_length or content_filter by the provider's code and message.
 */
export function classifyFailure(facts: FailureFacts): ProviderError {
  const { status } = facts;
  let code: ProviderErrorCode;
  if (facts.timedOut) code = 'timeout';
  else if (status === undefined) code = 'connection';
  else if (status === 429) code = 'rate_limited';
  else if (status === 529 || status === 503) code = 'overloaded';
  else if (status === 408) code = 'timeout';
  else if (status >= 500) code = 'server_error';
  else if (status === 401 || status === 403) code = 'auth';
  else if (status === 404) code = 'not_found';
  else {
    const hint = `${facts.providerCode ?? ''} ${facts.message}`;
    if (CONTEXT_LENGTH_HINTS.test(hint)) code = 'context_length';
    else if (CONTENT_FILTER_HINTS.test(hint)) code = 'content_filter';
    else code = 'bad_request';
  }
  if (facts.connection && status === undefined && !facts.timedOut) code = 'connection';

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

/** True when `error` is an abort raised by an AbortSignal (ours or the SDK's wrapper of it). */
export function isAbortError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // The Stainless SDKs leave `name` as 'Error'; their class name is what tells.
  const names = [(error as { name?: unknown }).name, (error as object).constructor?.name];
  return names.some((n) => n === 'AbortError' || n === 'APIUserAbortError' || n === 'RequestAbortedError');
}
