import { ProviderError, redactSecrets } from '../errors.js';
import type { FailureContext } from './classify.js';
import { embedBatches } from './embed-batches.js';
import { ClientCache, credentialSecrets } from './shared.js';
import type {
  AdapterOptions,
  Credential,
  ProviderAdapter,
  ProviderEmbedRequest,
  ProviderEmbedResponse,
  ProviderRequest,
  ProviderResponse,
  ProviderStreamPart,
  ProviderType,
} from './types.js';

/**
 * What one provider's adapter is made of: how to get a client of its SDK, how to call it,
 * the wire mappers and the error classifier. `defineAdapter()` supplies everything else.
 * The hooks run on every call, so they are plain functions of their arguments.
 */
export interface AdapterSpec<Client, Params, StreamParams, Response, Events, Options> {
  readonly type: ProviderType;
  /**
   * A client for `apiKey` (the entry's own key when undefined), its SDK loaded with
   * `loadPeer()`. `given` is the client passed in as `options.client`, if any; `credential`
   * the tenant's whole credential, for types whose credential is more than a key (AWS).
   */
  createClient(
    apiKey: string | undefined,
    given: Client | undefined,
    credential?: Credential,
  ): Promise<Client>;
  /** `options.client` as this SDK's client, or a TypeError naming the entry. Default: trusted. */
  checkClient?(client: unknown, name: string): Client;
  /** The key (or keys) a client passed in holds: not in our options, but still kept out of messages. */
  clientKey(client: Client): string | readonly string[] | undefined;
  /** Per-request options that override even a user's client: no SDK retries, the signal. */
  requestOptions(client: Client, signal: AbortSignal | undefined): Options;
  toRequest(request: ProviderRequest): Params;
  complete(client: Client, params: Params, options: Options): PromiseLike<Response>;
  /** `context` (entry and keys, no model) is for a mapper that classifies a failure itself. */
  fromResponse(response: Response, request: ProviderRequest, context: FailureContext): ProviderResponse;
  toStreamRequest(request: ProviderRequest): StreamParams;
  stream(client: Client, params: StreamParams, options: Options): PromiseLike<Events>;
  fromStream(
    events: Events,
    request: ProviderRequest,
    context: FailureContext,
  ): AsyncIterable<ProviderStreamPart>;
  classify(error: unknown, context: FailureContext): ProviderError;
  /** The provider's embeddings API, if it has one: the adapter then has `embed()`. */
  embeddings?: EmbeddingsSpec<Client, Options>;
}

/**
 * How a provider embeds texts: one request for one batch, and the batch limits. The adapter
 * splits a call's texts into batches within both limits, sends them one after the other,
 * and joins the vectors in order, summing the usage.
 */
export interface EmbeddingsSpec<Client, Options> {
  /** The most texts one request may hold. */
  maxInputs: number;
  /** The most input tokens one request may hold, where the provider caps it (counted as the UTF-8 bound). */
  maxTokens?: number;
  embed(
    client: Client,
    batch: { model: string; input: string[]; dimensions?: number },
    options: Options,
  ): PromiseLike<ProviderEmbedResponse>;
}

/**
 * Builds a `ProviderAdapter` from a provider's `spec`. The parts every adapter shares:
 *
 * - clients: `options.client` (checked by the spec) or one built from `apiKey`, and one per
 *   tenant credential, kept in a `ClientCache` of `maxClients`; `ready()` is the cache's;
 * - every request carries the spec's `requestOptions` (SDK retries off, the signal);
 * - everything thrown, by the call, the mappers or the stream's iteration, goes through the
 *   spec's classifier, with `aborted` read off the request's signal and every known key
 *   (configured, the given client's, the tenants') removed from the message;
 * - a client that cannot be built (no key, a missing SDK) fails the call with a final
 *   `ProviderError`: `auth` when a key is what is missing, else `bad_request`.
 */
export function defineAdapter<Client, Params, StreamParams, Response, Events, Options>(
  options: AdapterOptions,
  spec: AdapterSpec<Client, Params, StreamParams, Response, Events, Options>,
): ProviderAdapter {
  const { name } = options;
  const given =
    options.client === undefined
      ? undefined
      : (spec.checkClient?.(options.client, name) ?? (options.client as Client));
  const clients = new ClientCache<Client>(
    (apiKey, credential) => spec.createClient(apiKey, given, credential),
    given,
    options.apiKey,
    options.maxClients,
  );
  const givenKey = given === undefined ? undefined : spec.clientKey(given);
  const givenKeys = typeof givenKey === 'string' ? [givenKey] : (givenKey ?? []);
  // Read afresh at each failure: tenant keys join as their clients are built.
  const secrets: Iterable<string> = {
    *[Symbol.iterator]() {
      yield* clients.secrets();
      yield* givenKeys;
      if (options.secrets) yield* options.secrets;
    },
  };
  const context: FailureContext = { provider: name, secrets };
  const classify = (error: unknown, model: string | undefined, signal?: AbortSignal): ProviderError =>
    spec.classify(error, {
      provider: name,
      ...(model !== undefined && { model }),
      secrets,
      aborted: signal?.aborted === true,
    });

  /** The client for the request's credential; one that cannot be built is a final setup failure. */
  const clientFor = async (request: Pick<ProviderRequest, 'model' | 'credential'>): Promise<Client> => {
    try {
      return await clients.get(request.credential);
    } catch (error) {
      throw setupFailure(error, name, request, secrets);
    }
  };
  /** The client at once when it is built (the usual case), else the promise of it. */
  const clientNow = (request: Pick<ProviderRequest, 'model' | 'credential'>): Client | Promise<Client> =>
    (request.credential === undefined ? clients.built : undefined) ?? clientFor(request);

  return {
    name,
    type: spec.type,

    async complete(request: ProviderRequest): Promise<ProviderResponse> {
      const ready = clientNow(request);
      const client = ready instanceof Promise ? await ready : ready;
      try {
        const response = await spec.complete(
          client,
          spec.toRequest(request),
          spec.requestOptions(client, request.signal),
        );
        return spec.fromResponse(response, request, context);
      } catch (error) {
        throw classify(error, request.model, request.signal);
      }
    },

    stream(request: ProviderRequest): AsyncIterableIterator<ProviderStreamPart> {
      // A hand-written iterator over the mapped events rather than an async generator with
      // `yield*`: a generator layer costs a promise and a resumption on every part.
      let inner: AsyncIterator<ProviderStreamPart> | undefined;
      let done = false;
      const open = async (): Promise<AsyncIterator<ProviderStreamPart>> => {
        const ready = clientNow(request);
        const client = ready instanceof Promise ? await ready : ready;
        try {
          const events = await spec.stream(
            client,
            spec.toStreamRequest(request),
            spec.requestOptions(client, request.signal),
          );
          inner = spec.fromStream(events, request, context)[Symbol.asyncIterator]();
          return inner;
        } catch (error) {
          throw classify(error, request.model, request.signal);
        }
      };
      const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };
      const iterator: AsyncIterableIterator<ProviderStreamPart> = {
        [Symbol.asyncIterator]: () => iterator,
        async next() {
          if (done) return finished;
          try {
            const next = await (inner ?? (await open())).next();
            if (next.done) done = true;
            return next.done ? finished : next;
          } catch (error) {
            done = true;
            // `open` has classified its own failures already.
            throw ProviderError.isInstance(error) ? error : classify(error, request.model, request.signal);
          }
        },
        async return() {
          if (!done) {
            done = true;
            await inner?.return?.();
          }
          return finished;
        },
      };
      return iterator;
    },

    ...(spec.embeddings && {
      embed: embedder(spec.embeddings, clientFor, classify, spec.requestOptions, name),
    }),
    classify: (error, model) => classify(error, model),
    ready: () => clients.ready(),
  };
}

/** The adapter's `embed()`: batches within the provider's limits, in order, usage summed. */
function embedder<Client, Options>(
  embeddings: EmbeddingsSpec<Client, Options>,
  clientFor: (request: Pick<ProviderRequest, 'model' | 'credential'>) => Promise<Client>,
  classify: (error: unknown, model: string | undefined, signal?: AbortSignal) => ProviderError,
  requestOptions: (client: Client, signal: AbortSignal | undefined) => Options,
  provider: string,
): (request: ProviderEmbedRequest) => Promise<ProviderEmbedResponse> {
  return async (request) => {
    const client = await clientFor(request);
    const { model, dimensions, signal } = request;
    const vectors: number[][] = [];
    let inputTokens = 0;
    let usageReported = true;
    try {
      for (const input of embedBatches(request.input, embeddings.maxInputs, embeddings.maxTokens)) {
        const answer = await embeddings.embed(
          client,
          { model, input, ...(dimensions !== undefined && { dimensions }) },
          requestOptions(client, signal),
        );
        if (answer.embeddings.length !== input.length) {
          throw new ProviderError(
            'server_error',
            `${provider} (${model}) answered ${answer.embeddings.length} embeddings for ${input.length} texts`,
            { provider, model },
          );
        }
        for (const vector of answer.embeddings) vectors.push(vector);
        inputTokens += answer.usage.inputTokens;
        if (answer.usageReported === false) usageReported = false;
      }
    } catch (error) {
      throw ProviderError.isInstance(error) ? error : classify(error, model, signal);
    }
    return { embeddings: vectors, usage: { inputTokens }, ...(!usageReported && { usageReported: false }) };
  };
}

/** Neither a missing key nor a missing SDK package is cured by a retry: both are final. */
function setupFailure(
  error: unknown,
  provider: string,
  { model, credential }: Pick<ProviderRequest, 'model' | 'credential'>,
  secrets: Iterable<string>,
): ProviderError {
  let message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
  // A tenant's key is known to the cache only once its client is built.
  if (credential) message = redactSecrets(message, credentialSecrets(credential));
  const code = /api[_ ]?key/i.test(message) ? 'auth' : 'bad_request';
  return new ProviderError(code, `${provider} (${model}) could not be set up: ${message}`, {
    provider,
    model,
  });
}
