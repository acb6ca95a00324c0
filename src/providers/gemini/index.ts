import type {
  GenerateContentConfig,
  GenerateContentParameters,
  GoogleGenAI,
  GoogleGenAIOptions,
} from '@google/genai';
import { LRUCache } from 'lru-cache';
import { defineAdapter } from '../define.js';
import { loadPeer } from '../shared.js';
import type { AdapterOptions, ProviderAdapter } from '../types.js';
import { geminiEmbeddings } from './embeddings.js';
import { classifyGeminiError } from './errors.js';
import type { GeminiEntryOptions } from './options.js';
import { toGeminiRequest } from './request.js';
import { fromGeminiResponse } from './response.js';
import { mapGeminiStream } from './stream.js';

export type { GeminiEntryOptions } from './options.js';

/** Options of `createGeminiAdapter()`. */
export interface GeminiAdapterOptions extends AdapterOptions, GeminiEntryOptions {}

/** Per-request settings that override even a user's client: see `createGeminiAdapter()`. */
type RequestSettings = Pick<
  GenerateContentConfig,
  'abortSignal' | 'httpOptions' | 'automaticFunctionCalling' | 'automaticContinuation'
>;

// `attempts: 1` is one request: it overrides the retry policy of a client passed in, whose
// retries (p-retry inside the SDK) would otherwise resend on 408, 429 and 5xx.
const ONE_ATTEMPT = { retryOptions: { attempts: 1 } } as const;

// Thought signatures kept per adapter, for the tool calls they came with (Gemini 3 wants
// them back). A signature is a few KB at most; past this many the oldest are dropped and
// those calls are replayed with the placeholder Google documents.
const MAX_SIGNATURES = 2_000;

/**
 * The adapter for Gemini's `generateContent` (and `embedContent`), over the official `@google/genai` SDK, loaded
 * on first use (an optional peer). The Gemini Developer API with `apiKey` (and `baseURL`,
 * the SDK's `httpOptions.baseUrl`), or Vertex AI with `vertexai: true`, `project`,
 * `location` and `googleAuthOptions` (Application Default Credentials when left out).
 *
 * One attempt is one HTTP request: every request sets `httpOptions.retryOptions.attempts`
 * to 1 (the SDK retries with p-retry when a client has a retry policy), and turns off the
 * SDK's automatic function calling and automatic continuation, each of which can make
 * further requests. The request's `signal` is the SDK's `abortSignal`; the SDK cannot
 * cancel the generation on Google's side, only the HTTP call.
 *
 * Clients: `options.client` (a ready `GoogleGenAI`) serves calls without a tenant credential;
 * a tenant's credential gets a client of its own with its key (Vertex AI express mode when
 * `vertexai` is on), kept in an LRU of `maxClients`. Every failure is a classified
 * `ProviderError` with the known keys removed from its message.
 *
 * @example
 * ```ts
 * const gemini = createGeminiAdapter({ name: 'gemini', apiKey: process.env.GEMINI_API_KEY });
 * const answer = await gemini.complete({ model: 'gemini-3.8-flash', messages, maxTokens: 512 });
 * ```
 */
export function createGeminiAdapter(options: GeminiAdapterOptions): ProviderAdapter {
  const signatures = new LRUCache<string, string>({ max: MAX_SIGNATURES });
  const keep = (id: string, signature: string) => {
    signatures.set(id, signature);
  };
  const signatureOf = (id: string) => signatures.get(id);
  const toRequest = (request: Parameters<typeof toGeminiRequest>[0]) => toGeminiRequest(request, signatureOf);
  return defineAdapter(options, {
    type: 'gemini',
    createClient: (apiKey, given: GoogleGenAI | undefined) => buildClient(options, apiKey, given),
    checkClient: asGeminiClient,
    clientKey: (client) => {
      const apiKey: unknown = (client as unknown as { apiKey?: unknown }).apiKey;
      return typeof apiKey === 'string' ? apiKey : undefined;
    },
    requestOptions: (_client, signal): RequestSettings => ({
      httpOptions: ONE_ATTEMPT,
      automaticFunctionCalling: { disable: true },
      automaticContinuation: false,
      ...(signal && { abortSignal: signal }),
    }),
    toRequest,
    complete: (client, params, settings) => client.models.generateContent(withSettings(params, settings)),
    fromResponse: (response, request, context) => fromGeminiResponse(response, request.model, context, keep),
    toStreamRequest: toRequest,
    stream: (client, params, settings) => client.models.generateContentStream(withSettings(params, settings)),
    fromStream: (chunks, request, context) =>
      mapGeminiStream(
        chunks,
        request.model,
        { provider: context.provider, model: request.model, secrets: context.secrets },
        keep,
        request.signal,
      ),
    classify: classifyGeminiError,
    embeddings: geminiEmbeddings,
  });
}

function withSettings(
  params: GenerateContentParameters,
  settings: RequestSettings,
): GenerateContentParameters {
  return { ...params, config: { ...params.config, ...settings } };
}

/**
 * A client for `apiKey` (the entry's own when undefined). A tenant's client made from a
 * given one keeps its backend and HTTP options and swaps the key.
 */
async function buildClient(
  options: GeminiAdapterOptions,
  apiKey: string | undefined,
  given: GoogleGenAI | undefined,
): Promise<GoogleGenAI> {
  const { GoogleGenAI: Client } = await loadPeer('@google/genai', () => import('@google/genai'));
  if (given && apiKey !== undefined) {
    const base = given as unknown as {
      vertexai?: boolean;
      apiClient?: { clientOptions?: GoogleGenAIOptions };
    };
    const httpOptions = base.apiClient?.clientOptions?.httpOptions;
    return new Client({ apiKey, vertexai: base.vertexai === true, ...(httpOptions && { httpOptions }) });
  }
  const httpOptions = options.baseURL === undefined ? undefined : { baseUrl: options.baseURL };
  if (options.vertexai) {
    // A key is Vertex AI express mode, which takes no project or location.
    return new Client({
      vertexai: true,
      ...(apiKey !== undefined
        ? { apiKey }
        : {
            ...(options.project !== undefined && { project: options.project }),
            ...(options.location !== undefined && { location: options.location }),
            ...(options.googleAuthOptions !== undefined && {
              googleAuthOptions: options.googleAuthOptions as GoogleGenAIOptions['googleAuthOptions'],
            }),
          }),
      ...(httpOptions && { httpOptions }),
    });
  }
  if (apiKey === undefined) throw new Error('no API key: set providers.<name>.apiKey, or vertexai: true');
  return new Client({ apiKey, ...(httpOptions && { httpOptions }) });
}

function asGeminiClient(client: unknown, name: string): GoogleGenAI {
  const models = (
    client as { models?: { generateContent?: unknown; generateContentStream?: unknown } } | null
  )?.models;
  if (typeof models?.generateContent !== 'function' || typeof models.generateContentStream !== 'function') {
    throw new TypeError(
      `providers.${name}.client is not a GoogleGenAI client: it needs models.generateContent() and models.generateContentStream()`,
    );
  }
  return client as GoogleGenAI;
}
