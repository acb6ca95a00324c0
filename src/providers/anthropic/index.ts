import type Anthropic from '@anthropic-ai/sdk';
import type { ProviderError } from '../../errors.js';
import { IncompleteStreamError } from '../classify.js';
import { ClientCache, loadPeer } from '../shared.js';
import type {
  AdapterOptions,
  ProviderAdapter,
  ProviderRequest,
  ProviderResponse,
  ProviderStreamPart,
} from '../types.js';
import { classifyAnthropicError } from './errors.js';
import { toMessageParams } from './request.js';
import { fromMessage } from './response.js';
import { AnthropicStreamMapper } from './stream.js';

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
  return new AnthropicAdapter(options);
}

class AnthropicAdapter implements ProviderAdapter {
  readonly type = 'anthropic';
  readonly name: string;
  private readonly clients: ClientCache<Anthropic>;

  constructor(options: AdapterOptions) {
    this.name = options.name;
    const given = options.client as Anthropic | undefined;
    const build = async (apiKey: string | undefined): Promise<Anthropic> => {
      // A tenant's client made from a given one keeps its host, fetch and headers.
      if (given && apiKey !== undefined) return given.withOptions({ apiKey });
      const { default: AnthropicClient } = await loadPeer(
        '@anthropic-ai/sdk',
        () => import('@anthropic-ai/sdk'),
      );
      return new AnthropicClient({ apiKey, baseURL: options.baseURL, maxRetries: 0 });
    };
    // A given client's own key is known too, so that error messages can be cleaned of it.
    const defaultKey = options.apiKey ?? (typeof given?.apiKey === 'string' ? given.apiKey : undefined);
    this.clients = new ClientCache(build, given, defaultKey, options.maxClients);
  }

  ready(): Promise<void> {
    return this.clients.ready();
  }

  async complete(request: ProviderRequest): Promise<ProviderResponse> {
    try {
      const client = await this.clients.get(request.credential);
      const message = await client.messages.create(toMessageParams(request), requestOptions(client, request));
      return fromMessage(message);
    } catch (error) {
      throw this.fail(error, request);
    }
  }

  async *stream(request: ProviderRequest): AsyncGenerator<ProviderStreamPart> {
    const mapper = new AnthropicStreamMapper();
    try {
      const client = await this.clients.get(request.credential);
      const events = await client.messages.create(
        { ...toMessageParams(request), stream: true },
        requestOptions(client, request),
      );
      for await (const event of events) {
        const part = mapper.read(event);
        if (part) yield part;
      }
    } catch (error) {
      // A connection lost after message_stop loses nothing: the answer was complete.
      if (mapper.finished) return;
      throw this.fail(error, request);
    }
    if (!mapper.finished) {
      // The SDK ends a stream quietly when its signal aborts; a cut connection can end it too.
      throw this.fail(new IncompleteStreamError('the stream ended before message_stop'), request);
    }
  }

  classify(error: unknown, model?: string): ProviderError {
    return classifyAnthropicError(error, {
      provider: this.name,
      ...(model !== undefined && { model }),
      secrets: this.clients.secrets(),
    });
  }

  private fail(error: unknown, request: ProviderRequest): ProviderError {
    return classifyAnthropicError(error, {
      provider: this.name,
      model: request.model,
      secrets: this.clients.secrets(),
      aborted: request.signal?.aborted === true,
    });
  }
}

/**
 * Per-request options. `timeout` restates the client's own: without it, the SDK refuses a
 * non-streaming call whose `max_tokens` could take over ten minutes (above ~21k tokens) before
 * sending it, and the router's deadlines already bound every call through `signal`.
 */
function requestOptions(client: Anthropic, request: ProviderRequest): Anthropic.RequestOptions {
  return { maxRetries: 0, signal: request.signal ?? null, timeout: client.timeout };
}
