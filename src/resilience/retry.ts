import { ProviderError } from '../errors.js';
import { CircuitOpenError } from './layers.js';

/** How a candidate's retries wait (`createRouter({ retry })`, defaults filled in). */
export interface RetryOptions {
  /** Retries per candidate after its first attempt. */
  retries: number;
  /** The first backoff; each retry doubles it. */
  minDelayMs: number;
  /** The longest backoff (before the provider's retry-after is applied). */
  maxDelayMs: number;
  /** A retry-after longer than this is not waited for: the chain moves on. */
  maxRetryAfterMs: number;
}

/**
 * The wait before retry number `retry` (1 for the first): exponential backoff from
 * `minDelayMs`, doubling, with jitter (×1–2), capped at `maxDelayMs`; never less than the
 * provider's `retry-after`. `random` is injected for tests (0 gives the bare backoff).
 *
 * @example
 * ```ts
 * retryDelay({ minDelayMs: 200, maxDelayMs: 4000 }, 3, undefined, () => 0); // 800
 * retryDelay({ minDelayMs: 200, maxDelayMs: 4000 }, 1, 1500, () => 0);      // 1500
 * ```
 */
export function retryDelay(
  { minDelayMs, maxDelayMs }: Pick<RetryOptions, 'minDelayMs' | 'maxDelayMs'>,
  retry: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const backoff = Math.min(maxDelayMs, Math.round(minDelayMs * 2 ** (retry - 1) * (1 + random())));
  return Math.max(backoff, retryAfterMs ?? 0);
}

/**
 * Whether a failed attempt is worth another try on the same candidate: a retryable
 * `ProviderError` (not a circuit that refused it: no attempt was made), whose retry-after,
 * if any, is within `maxRetryAfterMs`.
 */
export function isRetryable(failure: unknown, maxRetryAfterMs: number): failure is ProviderError {
  if (!ProviderError.isInstance(failure) || !failure.retryable) return false;
  if (failure instanceof CircuitOpenError) return false;
  return failure.retryAfterMs === undefined || failure.retryAfterMs <= maxRetryAfterMs;
}
