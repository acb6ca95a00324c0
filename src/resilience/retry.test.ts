import { describe, expect, it } from 'vitest';
import { ProviderError, type ProviderErrorCode } from '../errors.js';
import { CircuitOpenError } from './layers.js';
import { isRetryable, retryDelay } from './retry.js';

const OPTIONS = { minDelayMs: 100, maxDelayMs: 1_000 };
const failure = (code: ProviderErrorCode, retryAfterMs?: number) =>
  new ProviderError(code, code, { provider: 'p', ...(retryAfterMs !== undefined && { retryAfterMs }) });

describe('retryDelay', () => {
  it('doubles from minDelayMs, with jitter of ×1–2, capped at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(OPTIONS, n, undefined, () => 0))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
    expect([1, 2, 3].map((n) => retryDelay(OPTIONS, n, undefined, () => 0.5))).toEqual([150, 300, 600]);
    expect(retryDelay(OPTIONS, 3, undefined, () => 0.999)).toBe(800); // 400 × 1.999, rounded
    expect(retryDelay(OPTIONS, 4, undefined, () => 0.5)).toBe(1_000); // 1 200, capped
  });

  it("waits the provider's retry-after when it is longer than the backoff, even past maxDelayMs", () => {
    expect(retryDelay(OPTIONS, 1, 70, () => 0)).toBe(100);
    expect(retryDelay(OPTIONS, 1, 350, () => 0)).toBe(350);
    expect(retryDelay(OPTIONS, 5, 3_000, () => 0)).toBe(3_000);
  });
});

describe('isRetryable', () => {
  it.each(['rate_limited', 'overloaded', 'server_error', 'timeout', 'connection'] as const)(
    'retries %s',
    (code) => {
      expect(isRetryable(failure(code), 5_000)).toBe(true);
    },
  );

  it.each([
    'auth',
    'bad_request',
    'context_length',
    'content_filter',
    'not_found',
    'quota_exceeded',
  ] as const)('never retries %s', (code) => {
    expect(isRetryable(failure(code), 5_000)).toBe(false);
  });

  it('does not wait for a retry-after above maxRetryAfterMs', () => {
    expect(isRetryable(failure('rate_limited', 5_000), 5_000)).toBe(true);
    expect(isRetryable(failure('rate_limited', 5_001), 5_000)).toBe(false);
  });

  it('never retries a circuit that refused the attempt, nor what is no ProviderError', () => {
    expect(isRetryable(new CircuitOpenError('m', 'p', 'm-up'), 5_000)).toBe(false);
    expect(isRetryable(new Error('boom'), 5_000)).toBe(false);
    expect(isRetryable(new ProviderError('server_error', 'x', { provider: 'p', retryable: false }), 1)).toBe(
      false,
    );
  });
});
