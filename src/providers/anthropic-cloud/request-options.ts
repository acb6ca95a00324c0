import type Anthropic from '@anthropic-ai/sdk';

/**
 * Per-request options, as the Anthropic adapter's: no SDK retries, the request's signal, and
 * the client's own `timeout` restated, without which the SDK refuses a non-streaming call
 * whose `max_tokens` could take over ten minutes.
 */
export function cloudRequestOptions(
  client: { timeout: number },
  signal: AbortSignal | undefined,
): Anthropic.RequestOptions {
  return { maxRetries: 0, signal: signal ?? null, timeout: client.timeout };
}
