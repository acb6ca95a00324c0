import type { Mistral } from '@mistralai/mistralai';
import type { ProviderError } from '../../errors.js';
import { classifyFailure, contextFacts, type FailureContext } from '../classify.js';
import { ClientCache, loadPeer } from '../shared.js';
import type {
  AdapterOptions,
  ProviderAdapter,
  ProviderRequest,
  ProviderResponse,
  ProviderStreamPart,
} from '../types.js';
import { classifyMistralError } from './errors.js';
import { fromMistralResponse, toMistralRequest } from './mapping.js';
import { mapMistralStream } from './stream.js';

type RequestOptions = NonNullable<Parameters<Mistral['chat']['complete']>[1]>;

// Sent with every request: per-request options win over the client's `retryConfig`, so
// even a client built with backoff retries makes exactly one HTTP call per attempt.
const NO_RETRIES = { strategy: 'none' } as const;

function requestOptions(signal: AbortSignal | undefined): RequestOptions {
  return signal ? { retries: NO_RETRIES, signal } : { retries: NO_RETRIES };
}

/**
 * Creates the adapter for Mistral's chat completions API over the official
 * `@mistralai/mistralai` SDK, which is loaded on first use (it is an optional peer).
 *
 * Clients: `options.client` (a ready `Mistral`) serves calls without a tenant credential;
 * otherwise one is built from `apiKey` and `baseURL` (the SDK's `serverURL`). A tenant
 * credential gets a client of its own, kept in an LRU of `maxClients` (default 256).
 *
 * Retries: the SDK never retries. Clients built here have retries off, and every request
 * also turns them off, so a user-supplied client with backoff configured still makes one
 * HTTP call per attempt; the router owns retries. The request's `signal` aborts the HTTP
 * call, streamed or not.
 *
 * Errors: everything thrown, by `complete()` or while iterating `stream()`, is a
 * `ProviderError` from `classify()`, with the known API keys removed from its message.
 *
 * @example
 * ```ts
 * const mistral = createMistralAdapter({ name: 'mistral', apiKey: process.env.MISTRAL_API_KEY });
 * const answer = await mistral.complete({ model: 'mistral-small-latest', messages, maxTokens: 512 });
 * ```
 */
export function createMistralAdapter(options: AdapterOptions): ProviderAdapter {
  const given = options.client === undefined ? undefined : asMistralClient(options.client, options.name);
  const cache = new ClientCache<Mistral>(
    (apiKey) => buildClient(apiKey, options.baseURL),
    given,
    options.apiKey ?? clientApiKey(given),
    options.maxClients,
  );
  // A fresh iteration each time: the cache learns tenant keys as calls come.
  const secrets: Iterable<string> = { [Symbol.iterator]: () => cache.secrets()[Symbol.iterator]() };
  const context = (model: string | undefined, signal?: AbortSignal): FailureContext => ({
    provider: options.name,
    ...(model !== undefined && { model }),
    secrets,
    aborted: signal?.aborted === true,
  });
  const fail = (error: unknown, request: ProviderRequest): ProviderError =>
    classifyMistralError(error, context(request.model, request.signal));

  return {
    name: options.name,
    type: 'mistral',

    async complete(request: ProviderRequest): Promise<ProviderResponse> {
      let mapped: ReturnType<typeof fromMistralResponse>;
      try {
        const client = await cache.get(request.credential);
        const response = await client.chat.complete(
          toMistralRequest(request),
          requestOptions(request.signal),
        );
        mapped = fromMistralResponse(response);
      } catch (error) {
        throw fail(error, request);
      }
      if ('failure' in mapped) {
        const what =
          mapped.failure === 'no_choice'
            ? 'malformed response: no choices'
            : 'the generation stopped with an error';
        throw classifyFailure({ ...contextFacts(context(request.model)), message: what, malformed: true });
      }
      return mapped;
    },

    async *stream(request: ProviderRequest): AsyncGenerator<ProviderStreamPart, void, undefined> {
      try {
        const client = await cache.get(request.credential);
        const events = await client.chat.stream(toMistralRequest(request), requestOptions(request.signal));
        yield* mapMistralStream(events, context(request.model), request.signal);
      } catch (error) {
        throw fail(error, request);
      }
    },

    classify(error: unknown, model?: string): ProviderError {
      return classifyMistralError(error, context(model));
    },

    ready: () => cache.ready(),
  };
}

async function buildClient(apiKey: string | undefined, baseURL: string | undefined): Promise<Mistral> {
  const { Mistral } = await loadPeer('@mistralai/mistralai', () => import('@mistralai/mistralai'));
  return new Mistral({
    ...(apiKey !== undefined && { apiKey }),
    ...(baseURL !== undefined && { serverURL: baseURL }),
    retryConfig: { strategy: 'none' },
  });
}

function asMistralClient(client: unknown, name: string): Mistral {
  const chat = (client as { chat?: { complete?: unknown; stream?: unknown } } | null)?.chat;
  if (typeof chat?.complete !== 'function' || typeof chat.stream !== 'function') {
    throw new TypeError(
      `providers.${name}.client is not a Mistral client: it needs chat.complete() and chat.stream()`,
    );
  }
  return client as Mistral;
}

// A ready client's key is not in our options, but it must still be kept out of messages.
function clientApiKey(client: Mistral | undefined): string | undefined {
  const apiKey = (client as { _options?: { apiKey?: unknown } } | undefined)?._options?.apiKey;
  return typeof apiKey === 'string' ? apiKey : undefined;
}
