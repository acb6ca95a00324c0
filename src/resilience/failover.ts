import type { ProviderError } from '../errors.js';
import type { Verdict } from './chain.js';

/** What the failover rules look at in a candidate. */
export interface FailoverCandidate {
  readonly model: { readonly provider: string; readonly contextWindow: number };
}

/**
 * What a candidate's final failure means for the rest of the chain: a failure moves on only
 * where another candidate can do better.
 *
 * - `content_filter` ends the call: a flagged prompt is not routed around.
 * - `auth`, `bad_request` and `quota_exceeded` (the credential's billing is spent) skip
 *   the rest of that provider.
 * - `context_length` skips the candidates without a larger window.
 * - Anything else (`not_found`, and retryable failures whose retries are spent) moves on.
 *
 * The failure's code is the `reason` of the fallback.
 */
export function failover<C extends FailoverCandidate>(failure: ProviderError, failed: C): Verdict<C> {
  switch (failure.code) {
    case 'content_filter':
      return 'stop';
    case 'auth':
    case 'bad_request':
    case 'quota_exceeded':
      return { reason: failure.code, skip: (c) => c.model.provider === failed.model.provider };
    case 'context_length':
      return { reason: failure.code, skip: (c) => c.model.contextWindow <= failed.model.contextWindow };
    default:
      return { reason: failure.code };
  }
}
