import type { ExcludedModel } from './events/types.js';
import type { Attempt } from './types.js';

/**
 * The stable codes of `RouterError`. Match on these, never on messages.
 *
 * - `invalid_config`: `createRouter()` options or a tenant policy failed validation.
 * - `invalid_request`: the request failed validation; the message names the field.
 * - `tenant_not_found`: no tenant source knows the tenant id.
 * - `policy_denied`: the tenant's policy forbids what the call asks (a model, a region).
 * - `guardrail_blocked`: an input guardrail denied the request.
 * - `rate_limited`: a rate limit or queue is full; see `retryAfterMs`.
 * - `budget_exceeded`: the call does not fit the tenant's remaining budget.
 * - `no_eligible_model`: no model satisfies the policy and the request together.
 * - `providers_exhausted`: every candidate failed; see `attempts` and `cause`.
 * - `timeout`: the call's deadline (`timeoutMs`) passed.
 * - `aborted`: the caller's `signal` aborted the call.
 * - `store_unavailable`: the shared store (Redis) cannot be reached and it fails closed;
 *   retryable, with `retryAfterMs`. An extension of the contract's list: an outage must not
 *   look like a tenant over its rate limit.
 * - `internal`: code outside the router's stages broke the call: a custom middleware that
 *   returned without `await next()`, or a hook (middleware, custom guardrail, tenant source,
 *   `resolveTenant`) that threw something other than a `RouterError`, which is the `cause`.
 *   An extension of the contract's list, so that every error is a coded `RouterError`.
 */
export type RouterErrorCode =
  | 'invalid_config'
  | 'invalid_request'
  | 'tenant_not_found'
  | 'policy_denied'
  | 'guardrail_blocked'
  | 'rate_limited'
  | 'budget_exceeded'
  | 'no_eligible_model'
  | 'providers_exhausted'
  | 'timeout'
  | 'aborted'
  | 'store_unavailable'
  | 'internal';

/**
 * How a provider failure is classified, once, by its adapter. The first five are retryable
 * (another try of the same or another model may succeed); the rest are final for that model.
 *
 * - `quota_exceeded`: the credential's billing quota or credit is exhausted (OpenAI's 429
 *   `insufficient_quota`, Anthropic's "credit balance is too low"). Not retried: no wait
 *   cures it. The call moves on to another provider (or another credential).
 * - `content_filter`: the provider's usage policy flagged the prompt. It ends the call: a
 *   safety refusal is never routed around.
 */
export type ProviderErrorCode =
  | 'rate_limited'
  | 'overloaded'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'auth'
  | 'bad_request'
  | 'context_length'
  | 'content_filter'
  | 'not_found'
  | 'quota_exceeded';

const RETRYABLE_PROVIDER_CODES: ReadonlySet<ProviderErrorCode> = new Set([
  'rate_limited',
  'overloaded',
  'server_error',
  'timeout',
  'connection',
]);

/** True for the provider error codes that a retry or another candidate may cure. */
export function isRetryableCode(code: ProviderErrorCode): boolean {
  return RETRYABLE_PROVIDER_CODES.has(code);
}

const ROUTER_ERROR_MARK = Symbol.for('routeplane.RouterError');
const PROVIDER_ERROR_MARK = Symbol.for('routeplane.ProviderError');

/** Options of a `RouterError`. */
export interface RouterErrorOptions {
  tenant?: string;
  requestId?: string;
  retryable?: boolean;
  retryAfterMs?: number;
  attempts?: Attempt[];
  excluded?: ExcludedModel[];
  cause?: unknown;
}

/**
 * Every error the router throws. `code` is stable; `message` says what happened, to what,
 * and what to do.
 *
 * @example
 * ```ts
 * try { await router.complete(req) }
 * catch (err) {
 *   if (RouterError.isInstance(err) && err.code === 'rate_limited') retryLater(err.retryAfterMs);
 * }
 * ```
 */
export class RouterError extends Error {
  override readonly name = 'RouterError';
  readonly code: RouterErrorCode;
  /** True when the same call may succeed later (rate limits, exhausted retryable providers). */
  readonly retryable: boolean;
  readonly tenant?: string;
  readonly requestId?: string;
  /** For `rate_limited`: how long to wait before trying again. */
  readonly retryAfterMs?: number;
  /** For `providers_exhausted`: every attempt made, in order. */
  readonly attempts?: Attempt[];
  /** For `no_eligible_model`: every model left out, with the reason (as `explain()` lists them). */
  readonly excluded?: ExcludedModel[];

  constructor(code: RouterErrorCode, message: string, options: RouterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable =
      options.retryable ?? (code === 'rate_limited' || code === 'timeout' || code === 'store_unavailable');
    if (options.tenant !== undefined) this.tenant = options.tenant;
    if (options.requestId !== undefined) this.requestId = options.requestId;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.attempts !== undefined) this.attempts = options.attempts;
    if (options.excluded !== undefined) this.excluded = options.excluded;
    Object.defineProperty(this, ROUTER_ERROR_MARK, { value: true });
  }

  /** `instanceof` that also works across two copies of routeplane in one process. */
  static isInstance(error: unknown): error is RouterError {
    return typeof error === 'object' && error !== null && ROUTER_ERROR_MARK in error;
  }
}

/** Options of a `ProviderError`. */
export interface ProviderErrorOptions {
  provider: string;
  model?: string;
  status?: number;
  retryAfterMs?: number;
  /** The provider's own error type or code (`overloaded_error`, `invalid_api_key`…). */
  providerCode?: string;
  /**
   * Overrides the retryability the code implies, when the provider said so itself
   * (`x-should-retry`, which the official SDKs obey the same way).
   */
  retryable?: boolean;
}

/**
 * A provider failure, classified by its adapter. It carries no SDK object, no headers and
 * no request, so it is safe to log: it is the `cause` of `providers_exhausted`.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code: ProviderErrorCode;
  readonly retryable: boolean;
  readonly provider: string;
  readonly model?: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly providerCode?: string;

  constructor(code: ProviderErrorCode, message: string, options: ProviderErrorOptions) {
    super(redactSecrets(message));
    this.code = code;
    this.retryable = options.retryable ?? isRetryableCode(code);
    this.provider = options.provider;
    if (options.model !== undefined) this.model = options.model;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.providerCode !== undefined) this.providerCode = options.providerCode;
    Object.defineProperty(this, PROVIDER_ERROR_MARK, { value: true });
  }

  static isInstance(error: unknown): error is ProviderError {
    return typeof error === 'object' && error !== null && PROVIDER_ERROR_MARK in error;
  }
}

// Key shapes of OpenAI (sk-…, sk-proj-…), Anthropic (sk-ant-…), bearer tokens, and any
// long opaque token after "key"/"token". Providers echo partial keys in 401 messages.
const SECRET_PATTERNS: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{6,}/g,
  /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b((?:api[_-]?key|x-api-key|token|authorization)["']?\s*[:=]\s*["']?)[A-Za-z0-9._~+/=*-]{8,}/gi,
];

/**
 * Replaces anything shaped like an API key or bearer token with `[REDACTED]`. Applied to
 * every provider message before it enters an error; the exact configured keys are also
 * removed by the adapters, which know them.
 */
export function redactSecrets(text: string, knownSecrets?: Iterable<string>): string {
  let out = text;
  if (knownSecrets) {
    for (const secret of knownSecrets) {
      if (secret.length >= 4) out = out.split(secret).join('[REDACTED]');
    }
  }
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (_match, prefix?: string) =>
      typeof prefix === 'string' ? `${prefix}[REDACTED]` : '[REDACTED]',
    );
  }
  return out;
}
