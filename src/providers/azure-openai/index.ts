import type { AzureOpenAI } from 'openai';
import type { FailureContext } from '../classify.js';
import { defineAdapter } from '../define.js';
import { openaiEmbeddings } from '../openai/embeddings.js';
import { toChatParams, toStreamParams } from '../openai/request.js';
import { fromChunks } from '../openai/stream.js';
import { loadPeer } from '../shared.js';
import type { AdapterOptions, ProviderAdapter } from '../types.js';
import { classifyAzureOpenAIError } from './errors.js';
import { type AzureOpenAIEntryOptions, DEFAULT_AZURE_API_VERSION } from './options.js';
import { fromAzureCompletion } from './response.js';

export { type AzureOpenAIEntryOptions, DEFAULT_AZURE_API_VERSION } from './options.js';

/** Options of `createAzureOpenAIAdapter()`. */
export interface AzureOpenAIAdapterOptions extends AdapterOptions, AzureOpenAIEntryOptions {}

// Entra tokens last about an hour; the last few are enough to keep out of messages.
const TOKENS_KEPT = 4;

/**
 * The adapter for Azure OpenAI chat completions (and embeddings), over the `openai` package's `AzureOpenAI`
 * client (loaded on the first call). The request and stream mappers are OpenAI's: the
 * request's `model` is the deployment name, which the SDK puts in the path.
 *
 * Authentication is the entry's `apiKey` (sent as `api-key`), or its `azureADTokenProvider`
 * (a bearer token from Microsoft Entra ID); a tenant credential's `apiKey` is an Azure key
 * for the same endpoint and gets a client of its own. The SDK's retries are off for every
 * request and the request's `signal` reaches it, as for OpenAI. Keys, and the tokens the
 * provider returned, are removed from every error message.
 *
 * @example
 * ```ts
 * const azure = createAzureOpenAIAdapter({
 *   name: 'azure-eu',
 *   endpoint: 'https://my-resource.openai.azure.com',
 *   apiKey: process.env.AZURE_OPENAI_API_KEY,
 * });
 * ```
 */
export function createAzureOpenAIAdapter(options: AzureOpenAIAdapterOptions): ProviderAdapter {
  const apiVersion = options.apiVersion ?? DEFAULT_AZURE_API_VERSION;
  const tokens: string[] = [];
  const provider = options.azureADTokenProvider;
  const azureADTokenProvider =
    provider &&
    (async () => {
      const token = await provider();
      if (typeof token === 'string' && !tokens.includes(token)) {
        tokens.push(token);
        if (tokens.length > TOKENS_KEPT) tokens.shift();
      }
      return token;
    });
  const withTokens = (context: FailureContext): FailureContext => ({
    ...context,
    secrets: {
      *[Symbol.iterator]() {
        yield* context.secrets;
        yield* tokens;
      },
    },
  });

  return defineAdapter(options, {
    type: 'azure-openai',
    async createClient(apiKey, given: AzureOpenAI | undefined) {
      // The api-version is not among the options a client keeps, so it is passed again.
      if (given && apiKey !== undefined) {
        return given.withOptions({ apiKey, apiVersion: given.apiVersion, maxRetries: 0 } as never);
      }
      const { AzureOpenAI: AzureClient } = await loadPeer('openai', () => import('openai'));
      return new AzureClient({
        endpoint: options.endpoint,
        apiVersion,
        ...(apiKey !== undefined || !azureADTokenProvider ? { apiKey } : { azureADTokenProvider }),
        maxRetries: 0,
      });
    },
    clientKey: (client: AzureOpenAI) => {
      const apiKey: unknown = (client as { apiKey?: unknown }).apiKey;
      return typeof apiKey === 'string' ? apiKey : undefined;
    },
    requestOptions: (_client, signal) => (signal ? { maxRetries: 0, signal } : { maxRetries: 0 }),
    toRequest: (request) => toChatParams(request, 'openai'),
    complete: (client, params, requestOptions) => client.chat.completions.create(params, requestOptions),
    fromResponse: fromAzureCompletion,
    toStreamRequest: (request) => toStreamParams(request, 'openai'),
    stream: (client, params, requestOptions) => client.chat.completions.create(params, requestOptions),
    fromStream: (chunks, request) => fromChunks(chunks, request.signal),
    classify: (error, context) => classifyAzureOpenAIError(error, withTokens(context)),
    embeddings: openaiEmbeddings(false),
  });
}
