import type OpenAI from 'openai';
import { ProviderError, redactSecrets } from '../../errors.js';
import { ClientCache, loadPeer } from '../shared.js';
import type {
  AdapterOptions,
  Credential,
  ProviderAdapter,
  ProviderRequest,
  ProviderStreamPart,
} from '../types.js';
import { classifyOpenAIError } from './errors.js';
import { type OpenAIDialect, toChatParams, toStreamParams } from './request.js';
import { fromCompletion } from './response.js';
import { fromChunks } from './stream.js';

/** Options of `createOpenAIAdapter()`. */
export interface OpenAIAdapterOptions extends AdapterOptions {
  /**
   * `'openai'` (default) for api.openai.com; `'openai-compatible'` for servers that copy
   * its chat completions API (vLLM, Ollama, LiteLLM…), which differ in the output cap's
   * field name and may need no key.
   */
  type?: OpenAIDialect;
}

// Self-hosted compatible servers often need no key, but the SDK refuses to run without one.
const NO_KEY = 'no-key';

/**
 * The adapter for OpenAI chat completions, over the official `openai` SDK, loaded on the
 * first call so that apps that do not use OpenAI need not install it.
 *
 * The SDK's retries are off for every request, including on a client passed in as
 * `client`: the router owns retries, so one attempt is one HTTP request. The request's
 * `signal` reaches the SDK and closes the connection when it fires. A tenant credential
 * gets a client of its own, kept in an LRU of `maxClients`. Every failure is thrown as a
 * classified `ProviderError` with the known keys removed from its message.
 *
 * @example
 * ```ts
 * const openai = createOpenAIAdapter({ name: 'openai', apiKey: process.env.OPENAI_API_KEY });
 * const vllm = createOpenAIAdapter({ name: 'my-vllm', type: 'openai-compatible', baseURL: 'http://gpu:8000/v1' });
 * ```
 */
export function createOpenAIAdapter(options: OpenAIAdapterOptions): ProviderAdapter {
  const dialect = options.type ?? 'openai';
  const { name, baseURL } = options;
  const given = options.client as OpenAI | undefined;
  const cache = new ClientCache<OpenAI>(
    async (apiKey) => {
      const { default: OpenAIClient } = await loadPeer('openai', () => import('openai'));
      return new OpenAIClient({
        apiKey: apiKey ?? (dialect === 'openai-compatible' ? NO_KEY : undefined),
        baseURL,
        maxRetries: 0,
      });
    },
    given,
    options.apiKey,
    options.maxClients,
  );

  const secrets = function* (): Iterable<string> {
    yield* cache.secrets();
    // A client passed in ready holds a key the options never named.
    const givenKey: unknown = (given as { apiKey?: unknown } | undefined)?.apiKey;
    if (typeof givenKey === 'string') yield givenKey;
  };
  const classify = (error: unknown, model: string | undefined, signal?: AbortSignal): ProviderError =>
    classifyOpenAIError(error, {
      provider: name,
      ...(model !== undefined && { model }),
      secrets: secrets(),
      aborted: signal?.aborted === true,
    });

  const client = async (credential: Credential | undefined, model: string): Promise<OpenAI> => {
    try {
      return await cache.get(credential);
    } catch (error) {
      throw setupFailure(error, name, model, secrets());
    }
  };

  return {
    name,
    type: dialect,

    async complete(request) {
      const sdk = await client(request.credential, request.model);
      try {
        const completion = await sdk.chat.completions.create(
          toChatParams(request, dialect),
          requestOptions(request),
        );
        return fromCompletion(completion);
      } catch (error) {
        throw classify(error, request.model, request.signal);
      }
    },

    async *stream(request: ProviderRequest): AsyncGenerator<ProviderStreamPart> {
      const sdk = await client(request.credential, request.model);
      try {
        const chunks = await sdk.chat.completions.create(
          toStreamParams(request, dialect),
          requestOptions(request),
        );
        yield* fromChunks(chunks, request.signal);
      } catch (error) {
        throw classify(error, request.model, request.signal);
      }
    },

    classify(error, model) {
      return classify(error, model);
    },
    ready: () => cache.ready(),
  };
}

/** Per-request options that override even a user's client: no SDK retries, the caller's signal. */
function requestOptions(request: ProviderRequest): { maxRetries: 0; signal?: AbortSignal } {
  return request.signal ? { maxRetries: 0, signal: request.signal } : { maxRetries: 0 };
}

/**
 * A client could not be built: the `openai` package is missing, or no key was given nor
 * found in `OPENAI_API_KEY`. Neither is cured by a retry, so both are final.
 */
function setupFailure(
  error: unknown,
  provider: string,
  model: string,
  secrets: Iterable<string>,
): ProviderError {
  const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
  const code = /api[_ ]?key/i.test(message) ? 'auth' : 'bad_request';
  return new ProviderError(code, `${provider} (${model}) could not be set up: ${message}`, {
    provider,
    model,
  });
}
