import type OpenAI from 'openai';
import { defineAdapter } from '../define.js';
import { loadPeer } from '../shared.js';
import type { AdapterOptions, ProviderAdapter } from '../types.js';
import { openaiEmbeddings } from './embeddings.js';
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
 * The adapter for OpenAI chat completions (and embeddings), over the official `openai` SDK, loaded on the
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
  return defineAdapter(options, {
    type: dialect,
    async createClient(apiKey, given: OpenAI | undefined) {
      // A tenant's client made from a given one keeps its host, fetch and headers.
      if (given && apiKey !== undefined) return given.withOptions({ apiKey, maxRetries: 0 });
      const { default: OpenAIClient } = await loadPeer('openai', () => import('openai'));
      return new OpenAIClient({
        apiKey: apiKey ?? (dialect === 'openai-compatible' ? NO_KEY : undefined),
        baseURL: options.baseURL,
        maxRetries: 0,
      });
    },
    clientKey: (client: OpenAI) => {
      const apiKey: unknown = (client as { apiKey?: unknown }).apiKey;
      return typeof apiKey === 'string' ? apiKey : undefined;
    },
    requestOptions: (_client, signal) => (signal ? { maxRetries: 0, signal } : { maxRetries: 0 }),
    toRequest: (request) => toChatParams(request, dialect),
    complete: (client, params, requestOptions) => client.chat.completions.create(params, requestOptions),
    fromResponse: fromCompletion,
    toStreamRequest: (request) => toStreamParams(request, dialect),
    stream: (client, params, requestOptions) => client.chat.completions.create(params, requestOptions),
    fromStream: (chunks, request) => fromChunks(chunks, request.signal),
    classify: classifyOpenAIError,
    embeddings: openaiEmbeddings(dialect === 'openai-compatible'),
  });
}
