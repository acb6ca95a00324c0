import { describe, expect, it } from 'vitest';
import { ProviderError } from '../errors.js';
import { classifyFailure, contextFacts, errorMessage } from './classify.js';
import { type AdapterSpec, defineAdapter } from './define.js';
import type { AdapterOptions, ProviderRequest, ProviderStreamPart } from './types.js';

/** A stand-in SDK client: records what each call was sent, and fails when told to. */
interface FakeClient {
  apiKey: string | undefined;
  sent: { params: string; options: unknown }[];
  fail?: Error;
}

type FakeSpec = AdapterSpec<FakeClient, string, string, string, AsyncIterable<string>, { retries: 0 }>;

const answer = {
  content: 'ok',
  finishReason: 'stop' as const,
  usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
};

async function* words(...list: string[]): AsyncGenerator<string> {
  yield* list;
}

async function* textParts(events: AsyncIterable<string>): AsyncGenerator<ProviderStreamPart> {
  for await (const text of events) yield { type: 'text', text };
}

function fakeSpec(overrides: Partial<FakeSpec> = {}): FakeSpec {
  const send = (client: FakeClient, params: string, options: { retries: 0 }) => {
    client.sent.push({ params, options });
    return client.fail ? Promise.reject(client.fail) : Promise.resolve(params);
  };
  return {
    type: 'openai-compatible',
    createClient: async (apiKey) => ({ apiKey, sent: [] }),
    clientKey: (client) => client.apiKey,
    requestOptions: (_client, signal) => ({ retries: 0, ...(signal && { signal }) }),
    toRequest: (request) => `complete ${request.model}`,
    complete: send,
    fromResponse: () => answer,
    toStreamRequest: (request) => `stream ${request.model}`,
    stream: (client, params, options) => send(client, params, options).then(() => words('a', 'b')),
    fromStream: (events) => textParts(events),
    // The least a classifier does: the shared classification, timed out once aborted.
    classify: (error, context) =>
      classifyFailure({
        ...contextFacts(context),
        message: errorMessage(error),
        timedOut: context.aborted === true,
      }),
    ...overrides,
  };
}

function ask(extra: Partial<ProviderRequest> = {}): ProviderRequest {
  return { model: 'm', maxTokens: 16, messages: [{ role: 'user', content: 'Hi' }], ...extra };
}

async function failure(run: () => Promise<unknown>): Promise<ProviderError> {
  const error = await run().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!ProviderError.isInstance(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

async function drain(parts: AsyncIterable<ProviderStreamPart>): Promise<ProviderStreamPart[]> {
  const out: ProviderStreamPart[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

const options: AdapterOptions = { name: 'fake', apiKey: 'entry-key-1234' };

describe('defineAdapter', () => {
  it('maps the request, sends it with the request options, and maps the answer', async () => {
    const client: FakeClient = { apiKey: 'given-key-1234', sent: [] };
    const adapter = defineAdapter({ name: 'fake', client }, fakeSpec());
    const signal = new AbortController().signal;

    expect(await adapter.complete(ask({ signal }))).toEqual(answer);
    expect(await drain(adapter.stream(ask()))).toEqual([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
    ]);
    expect(client.sent).toEqual([
      { params: 'complete m', options: { retries: 0, signal } },
      { params: 'stream m', options: { retries: 0 } },
    ]);
    expect(adapter).toMatchObject({ name: 'fake', type: 'openai-compatible' });
  });

  it('fails a call whose tenant client cannot be built with a final bad_request, its key removed', async () => {
    const adapter = defineAdapter(
      options,
      fakeSpec({
        createClient: async (apiKey) => {
          if (apiKey === 'tenant-key-5678') throw new Error(`refused key ${apiKey}`);
          return { apiKey, sent: [] };
        },
      }),
    );
    const credential = { id: 't1', apiKey: 'tenant-key-5678' };

    for (const run of [
      () => adapter.complete(ask({ credential })),
      () => drain(adapter.stream(ask({ credential }))),
    ]) {
      const error = await failure(run);
      expect(error).toMatchObject({ code: 'bad_request', retryable: false, provider: 'fake', model: 'm' });
      expect(error.message).toBe('fake (m) could not be set up: refused key [REDACTED]');
    }
    // The entry's own client still serves calls without a credential.
    await expect(adapter.complete(ask())).resolves.toEqual(answer);
  });

  it('fails with a final auth when the client cannot be built for want of a key', async () => {
    const adapter = defineAdapter(
      { name: 'fake' },
      fakeSpec({
        createClient: async () => {
          throw new Error('The FAKE_API_KEY environment variable is missing or empty');
        },
      }),
    );

    await expect(adapter.ready?.()).rejects.toThrow('FAKE_API_KEY');
    expect(await failure(() => adapter.complete(ask()))).toMatchObject({ code: 'auth', retryable: false });
  });

  it('classifies what the call, the mappers and the stream throw, as aborted once the signal fired', async () => {
    const client: FakeClient = { apiKey: undefined, sent: [], fail: new Error('reset') };
    const adapter = defineAdapter({ name: 'fake', client }, fakeSpec());
    const controller = new AbortController();

    expect(await failure(() => adapter.complete(ask()))).toMatchObject({ code: 'connection' });
    controller.abort();
    expect(await failure(() => adapter.complete(ask({ signal: controller.signal })))).toMatchObject({
      code: 'timeout',
    });

    delete client.fail;
    const mapperFails = defineAdapter(
      { name: 'fake', client },
      fakeSpec({
        fromResponse: () => {
          throw new Error('no choices');
        },
        fromStream: async function* () {
          yield { type: 'text', text: 'a' };
          throw new Error('cut');
        },
      }),
    );
    expect(await failure(() => mapperFails.complete(ask()))).toMatchObject({ code: 'connection' });
    const parts: ProviderStreamPart[] = [];
    const error = await failure(async () => {
      for await (const part of mapperFails.stream(ask())) parts.push(part);
    });
    expect(parts).toEqual([{ type: 'text', text: 'a' }]);
    expect(error.message).toBe('fake (m) failed with connection: cut');
    expect(mapperFails.classify(new Error('late'))).toMatchObject({ code: 'connection', provider: 'fake' });
  });

  it("removes the configured key, a given client's key and the tenants' keys from messages", async () => {
    const client: FakeClient = { apiKey: 'given-key-1234', sent: [] };
    const adapter = defineAdapter(
      { ...options, client },
      fakeSpec({
        createClient: async (apiKey) => ({ apiKey, sent: [] }),
        fromResponse: (_response, request) => {
          throw new Error(`keys: entry-key-1234 given-key-1234 ${request.credential?.apiKey}`);
        },
      }),
    );

    // The tenant's key is known once its client is built, before its call can fail.
    const error = await failure(() =>
      adapter.complete(ask({ credential: { id: 't1', apiKey: 'tenant-key-5678' } })),
    );
    expect(error.message).toBe('fake (m) failed with connection: keys: [REDACTED] [REDACTED] [REDACTED]');
    expect(adapter.classify(new Error('tenant-key-5678')).message).not.toContain('tenant-key-5678');
  });
});
