import type { AnthropicBedrock, AnthropicBedrockMantle, ClientOptions } from '@anthropic-ai/bedrock-sdk';

import { toMessageParams } from '../anthropic/request.js';
import { fromMessage } from '../anthropic/response.js';
import { fromEvents } from '../anthropic/stream.js';
import { defineAdapter } from '../define.js';
import { loadPeer } from '../shared.js';
import type { AdapterOptions, Credential, ProviderAdapter } from '../types.js';
import { classifyBedrockError } from './errors.js';
import type { AnthropicBedrockOptions } from './options.js';
import { cloudRequestOptions } from './request-options.js';

/**
 * The API version Bedrock's `InvokeModel` documents. Without it the SDK copies its own
 * (`2026-10-21`) into the body, which Anthropic's Bedrock guide warns the ARN-versioned
 * models refuse with a 400; the SDK keeps a version the body already has.
 */
const BEDROCK_VERSION = { anthropic_version: 'bedrock-2023-05-31' } as const;

type Auth = Pick<ClientOptions, 'apiKey' | 'awsAccessKey' | 'awsSecretKey' | 'awsSessionToken'>;
type BedrockClient = AnthropicBedrock | AnthropicBedrockMantle;

/**
 * The adapter for Claude on Amazon Bedrock (`InvokeModel` and
 * `InvokeModelWithResponseStream`), over the official `@anthropic-ai/bedrock-sdk` (an
 * optional peer dependency, loaded on first use). The Messages API mappers are the Anthropic
 * adapter's: the SDK moves the model into the path and the API version into the body, and
 * turns Bedrock's event-stream framing back into Anthropic's events.
 *
 * - Credentials: see `AnthropicBedrockOptions`; a tenant credential gets a client of its own
 *   (SigV4 with its AWS keys, or its Bedrock API key), kept in an LRU of `maxClients`.
 * - Every call passes `maxRetries: 0` and the request's `signal`.
 * - Every failure is a classified `ProviderError`; see `classifyBedrockError()`.
 *
 * @example
 * ```ts
 * const adapter = createBedrockAdapter({ name: 'bedrock-eu', awsRegion: 'eu-central-1' });
 * await adapter.complete({ model: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0', maxTokens: 512, messages });
 * ```
 */
export function createBedrockAdapter(options: AdapterOptions & AnthropicBedrockOptions): ProviderAdapter {
  const { awsCredentials } = options;
  const messagesApi = options.bedrockApi === 'messages';
  // The Messages API takes the version as a header, which the SDK sends.
  const version = messagesApi ? {} : BEDROCK_VERSION;
  const entryAuth: Auth =
    options.apiKey !== undefined
      ? { apiKey: options.apiKey }
      : options.awsAccessKey !== undefined && options.awsSecretKey !== undefined
        ? {
            // null, not undefined: a bearer token in the environment must not replace these keys.
            apiKey: null,
            awsAccessKey: options.awsAccessKey,
            awsSecretKey: options.awsSecretKey,
            awsSessionToken: options.awsSessionToken ?? null,
          }
        : {};
  const secrets = [options.awsSecretKey, options.awsSessionToken].filter(
    (secret): secret is string => secret !== undefined,
  );
  return defineAdapter(
    { ...options, secrets: [...(options.secrets ?? []), ...secrets] },
    {
      type: 'anthropic-bedrock',
      async createClient(_apiKey, given: BedrockClient | undefined, credential) {
        const auth = credential ? tenantAuth(credential) : entryAuth;
        if (given && credential) {
          return isMantle(given) ? given.withOptions(mantleAuth(auth)) : given.withOptions(auth);
        }
        const sdk = await loadPeer('@anthropic-ai/bedrock-sdk', () => import('@anthropic-ai/bedrock-sdk'));
        const common = {
          ...(options.awsRegion !== undefined && { awsRegion: options.awsRegion }),
          ...(options.baseURL !== undefined && { baseURL: options.baseURL }),
          ...(awsCredentials !== undefined && { providerChainResolver: async () => awsCredentials }),
          maxRetries: 0,
        };
        if (messagesApi) return new sdk.AnthropicBedrockMantle({ ...common, ...mantleAuth(auth) });
        // The constructor's overloads tell static keys from none; `auth` is one or the other.
        const clientOptions: ClientOptions = { ...common, ...auth };
        return new sdk.AnthropicBedrock(clientOptions as never);
      },
      clientKey: (client: BedrockClient) =>
        [
          client.apiKey,
          isMantle(client) ? client.awsSecretAccessKey : client.awsSecretKey,
          client.awsSessionToken,
        ].filter((secret): secret is string => typeof secret === 'string'),
      requestOptions: cloudRequestOptions,
      toRequest: (request) => ({ ...toMessageParams(request), ...version }),
      complete: (client: BedrockClient, params, requestOptions) =>
        client.messages.create(params, requestOptions),
      fromResponse: fromMessage,
      toStreamRequest: (request) => ({ ...toMessageParams(request), ...version, stream: true as const }),
      stream: (client: BedrockClient, params, requestOptions) =>
        client.messages.create(params, requestOptions),
      fromStream: fromEvents,
      classify: classifyBedrockError,
    },
  );
}

/** The same credentials under the option names of `AnthropicBedrockMantle`. */
function mantleAuth(auth: Auth) {
  return {
    ...(auth.apiKey !== undefined && { apiKey: auth.apiKey }),
    ...(auth.awsAccessKey !== undefined && { awsAccessKey: auth.awsAccessKey }),
    ...(auth.awsSecretKey !== undefined && { awsSecretAccessKey: auth.awsSecretKey }),
    ...(auth.awsSessionToken !== undefined && { awsSessionToken: auth.awsSessionToken }),
  };
}

function isMantle(client: BedrockClient): client is AnthropicBedrockMantle {
  return 'awsSecretAccessKey' in client;
}

/** A tenant's AWS keys (SigV4), or its Bedrock API key when it gives no secret key. */
function tenantAuth(credential: Credential): Auth {
  if (credential.awsSecretKey === undefined) {
    return { apiKey: credential.apiKey, awsAccessKey: null, awsSecretKey: null, awsSessionToken: null };
  }
  return {
    apiKey: null,
    awsAccessKey: credential.apiKey,
    awsSecretKey: credential.awsSecretKey,
    awsSessionToken: credential.awsSessionToken ?? null,
  };
}
