import type { AnthropicVertex, ClientOptions } from '@anthropic-ai/vertex-sdk';
import { toMessageParams } from '../anthropic/request.js';
import { fromMessage } from '../anthropic/response.js';
import { fromEvents } from '../anthropic/stream.js';
import { defineAdapter } from '../define.js';
import { loadPeer } from '../shared.js';
import type { AdapterOptions, ProviderAdapter } from '../types.js';
import { classifyVertexError } from './errors.js';
import type { AnthropicVertexOptions } from './options.js';
import { cloudRequestOptions } from './request-options.js';

/** The API version Vertex AI documents for Claude; the SDK keeps a version the body already has. */
const VERTEX_VERSION = { anthropic_version: 'vertex-2023-10-16' } as const;

type AuthClient = NonNullable<ClientOptions['authClient']>;

/**
 * The adapter for Claude on Google Vertex AI (`:rawPredict` and `:streamRawPredict`), over
 * the official `@anthropic-ai/vertex-sdk` (an optional peer dependency, loaded on first use).
 * The Messages API mappers are the Anthropic adapter's: the SDK moves the model into the path
 * and the API version into the body.
 *
 * - Credentials: see `AnthropicVertexOptions`; a tenant credential (a Google access token)
 *   gets a client of its own, kept in an LRU of `maxClients`.
 * - Every call passes `maxRetries: 0` and the request's `signal`.
 * - Every failure is a classified `ProviderError`; see `classifyVertexError()`.
 *
 * @example
 * ```ts
 * const adapter = createVertexAdapter({ name: 'vertex-eu', projectId: 'acme', location: 'europe-west1' });
 * await adapter.complete({ model: 'claude-sonnet-4-5@20250929', maxTokens: 512, messages });
 * ```
 */
export function createVertexAdapter(options: AdapterOptions & AnthropicVertexOptions): ProviderAdapter {
  const { accessToken, googleAuth } = options;
  return defineAdapter(
    {
      ...options,
      secrets: [...(options.secrets ?? []), ...(accessToken === undefined ? [] : [accessToken])],
    },
    {
      type: 'anthropic-vertex',
      async createClient(_apiKey, given: AnthropicVertex | undefined, credential) {
        if (given && credential) return given.withOptions({ authClient: tokenAuth(credential.apiKey) });
        const { AnthropicVertex: Client } = await loadPeer(
          '@anthropic-ai/vertex-sdk',
          () => import('@anthropic-ai/vertex-sdk'),
        );
        const token = credential?.apiKey ?? accessToken;
        const client = new Client({
          ...(options.location !== undefined && { region: options.location }),
          ...(options.projectId !== undefined && { projectId: options.projectId }),
          ...(options.baseURL !== undefined && { baseURL: options.baseURL }),
          ...(token !== undefined
            ? { authClient: tokenAuth(token) }
            : googleAuth !== undefined && { googleAuth: googleAuth as ClientOptions['googleAuth'] }),
          maxRetries: 0,
        });
        // The SDK starts resolving Application Default Credentials in its constructor and
        // awaits the promise only at the first call: without ADC, a client built and never
        // used would crash the process with an unhandled rejection. Calls still see the failure.
        (client as unknown as { _authClientPromise?: Promise<unknown> })._authClientPromise?.catch(() => {});
        return client;
      },
      clientKey: (client: AnthropicVertex) => client.accessToken ?? undefined,
      requestOptions: cloudRequestOptions,
      toRequest: (request) => ({ ...toMessageParams(request), ...VERTEX_VERSION }),
      complete: (client: AnthropicVertex, params, requestOptions) =>
        client.messages.create(params, requestOptions),
      fromResponse: fromMessage,
      toStreamRequest: (request) => ({
        ...toMessageParams(request),
        ...VERTEX_VERSION,
        stream: true as const,
      }),
      stream: (client: AnthropicVertex, params, requestOptions) =>
        client.messages.create(params, requestOptions),
      fromStream: fromEvents,
      classify: classifyVertexError,
    },
  );
}

/**
 * An auth client that sends one access token. The SDK's own `accessToken` option is kept on
 * the client but not sent; what it sends is its auth client's `getRequestHeaders()`.
 */
function tokenAuth(token: string): AuthClient {
  const client = {
    projectId: undefined,
    getRequestHeaders: async () => new Headers({ authorization: `Bearer ${token}` }),
  };
  return client as unknown as AuthClient;
}
