import type Anthropic from '@anthropic-ai/sdk';
import { defineAdapter } from '../define.js';
import { loadPeer } from '../shared.js';
import type { AdapterOptions, ProviderAdapter } from '../types.js';
import { classifyAnthropicError } from './errors.js';
import { toMessageParams } from './request.js';
import { fromMessage } from './response.js';
import { fromEvents } from './stream.js';

/**
 * The adapter for the Anthropic Messages API, over the official `@anthropic-ai/sdk` (an
 * optional peer dependency, loaded on first use).
 *
 * - Clients: `options.client` when given, else one built from `apiKey` and `baseURL`; a
 *   tenant credential gets a client of its own (a copy of the given client with the tenant's
 *   key, or a new one), kept in an LRU of `maxClients`.
 * - Every call passes `maxRetries: 0` (the router owns retries, so even a client built with
 *   the SDK's default of 2 sends one request per attempt) and the request's `signal`.
 * - Every failure, at call time or during a stream, is thrown as a classified `ProviderError`;
 *   see `classifyAnthropicError()`.
 *
 * @example
 * ```ts
 * const adapter = createAnthropicAdapter({ name: 'anthropic', apiKey: process.env.ANTHROPIC_API_KEY });
 * const answer = await adapter.complete({ model: 'claude-sonnet-5-5', maxTokens: 512, messages });
 * ```
 */
export function createAnthropicAdapter(options: AdapterOptions): ProviderAdapter {
  return defineAdapter(options, {
    type: 'anthropic',
    async createClient(apiKey, given: Anthropic | undefined) {
      // A tenant's client made from a given one keeps its host, fetch and headers.
      if (given && apiKey !== undefined) return given.withOptions({ apiKey });
      const { default: AnthropicClient } = await loadPeer(
        '@anthropic-ai/sdk',
        () => import('@anthropic-ai/sdk'),
      );
      return new AnthropicClient({ apiKey, baseURL: options.baseURL, maxRetries: 0 });
    },
    clientKey: (client) => (typeof client.apiKey === 'string' ? client.apiKey : undefined),
    requestOptions,
    toRequest: toMessageParams,
    complete: (client, params, requestOptions) => client.messages.create(params, requestOptions),
    fromResponse: fromMessage,
    toStreamRequest: (request) => ({ ...toMessageParams(request), stream: true as const }),
    stream: (client, params, requestOptions) => client.messages.create(params, requestOptions),
    fromStream: fromEvents,
    classify: classifyAnthropicError,
  });
}

/**
 * Per-request options. `timeout` restates the client's own: without it, the SDK refuses a
 * non-streaming call whose `max_tokens` could take over ten minutes (above ~21k tokens) before
 * sending it, and the router's deadlines already bound every call through `signal`.
 */
function requestOptions(client: Anthropic, signal: AbortSignal | undefined): Anthropic.RequestOptions {
  return { maxRetries: 0, signal: signal ?? null, timeout: client.timeout };
}
