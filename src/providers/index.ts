import { RouterError } from '../errors.js';
import { createAnthropicAdapter } from './anthropic/index.js';
import { createBedrockAdapter } from './anthropic-cloud/bedrock.js';
import type { AnthropicBedrockOptions, AnthropicVertexOptions } from './anthropic-cloud/options.js';
import { createVertexAdapter } from './anthropic-cloud/vertex.js';
import { type AzureOpenAIEntryOptions, createAzureOpenAIAdapter } from './azure-openai/index.js';
import { createGeminiAdapter, type GeminiEntryOptions } from './gemini/index.js';
import { createMistralAdapter } from './mistral/index.js';
import { createOpenAIAdapter } from './openai/index.js';
import type { ProviderAdapter, ProviderType } from './types.js';

/**
 * A provider entry of `createRouter({ providers })`. Options of one type only (`endpoint`,
 * `awsRegion`, `location`…) are read by that type.
 */
export interface ProviderEntry
  extends AzureOpenAIEntryOptions,
    GeminiEntryOptions,
    AnthropicBedrockOptions,
    AnthropicVertexOptions {
  /** Needed when the entry's name is not `openai`, `anthropic`, `mistral` or `gemini`. */
  type?: ProviderType;
  /**
   * Where this entry serves from (`us`, `eu`…): the region of every deployment on it that
   * does not name its own, matched against a tenant's `allowedRegions`.
   */
  region?: string;
  /** The API key; `anthropic-bedrock`: a Bedrock API key (else AWS credentials sign requests). */
  apiKey?: string;
  /**
   * OpenAI: ends in `/v1`; Anthropic and Mistral: the host only. `anthropic-bedrock`: default
   * `https://bedrock-runtime.{awsRegion}.amazonaws.com`; `anthropic-vertex`: default
   * `https://{location}-aiplatform.googleapis.com/v1`.
   */
  baseURL?: string;
  /** A ready SDK client; routeplane still turns its retries off per request. */
  client?: unknown;
  /**
   * Your own adapter, for a provider routeplane does not ship (or an in-memory one for
   * tests and benchmarks). It must throw classified `ProviderError`s; see `ProviderAdapter`.
   */
  adapter?: ProviderAdapter;
}

const NAMED_TYPES: Record<string, ProviderType> = {
  openai: 'openai',
  anthropic: 'anthropic',
  mistral: 'mistral',
  gemini: 'gemini',
};

/** Builds the adapter for one provider entry. Throws `invalid_config` naming the entry. */
export function createAdapter(name: string, entry: ProviderEntry): ProviderAdapter {
  if (entry.adapter) return entry.adapter;
  const type = entry.type ?? NAMED_TYPES[name];
  if (type === undefined) {
    throw new RouterError(
      'invalid_config',
      `providers.${name}.type is required: name the entry openai, anthropic, mistral or gemini, or set type to one of 'openai', 'anthropic', 'mistral', 'openai-compatible', 'azure-openai', 'gemini', 'anthropic-bedrock', 'anthropic-vertex'`,
    );
  }
  if (entry.client !== undefined) {
    const problem = clientProblem(type, entry.client);
    if (problem !== undefined) throw new RouterError('invalid_config', `providers.${name}.client ${problem}`);
  }
  if (type === 'azure-openai') checkAzureEntry(name, entry);
  else checkNotAzure(name, entry);
  const gemini = type === 'gemini' ? geminiProblem(name, entry) : undefined;
  if (gemini !== undefined) throw new RouterError('invalid_config', gemini);
  const cloudProblem = CLOUD_TYPES.has(type) ? cloudEntryProblem(type, entry) : undefined;
  if (cloudProblem !== undefined) throw new RouterError('invalid_config', `providers.${name}${cloudProblem}`);
  if (
    type !== 'openai-compatible' &&
    type !== 'azure-openai' &&
    !(type === 'gemini' && entry.vertexai === true) &&
    !CLOUD_TYPES.has(type) &&
    entry.apiKey === undefined &&
    entry.client === undefined
  ) {
    throw new RouterError('invalid_config', `providers.${name} needs an apiKey or a ready client`);
  }
  if (type === 'openai-compatible' && entry.baseURL === undefined && entry.client === undefined) {
    throw new RouterError(
      'invalid_config',
      `providers.${name}.baseURL is required for an 'openai-compatible' provider`,
    );
  }
  const options = {
    name,
    ...(entry.apiKey !== undefined && { apiKey: entry.apiKey }),
    ...(entry.baseURL !== undefined && { baseURL: entry.baseURL }),
    ...(entry.client !== undefined && { client: entry.client }),
  };
  switch (type) {
    case 'openai':
    case 'openai-compatible':
      // A keyless compatible server (vLLM, Ollama) gets the adapter's placeholder key.
      return createOpenAIAdapter({ ...options, type });
    case 'anthropic':
      return createAnthropicAdapter(options);
    case 'mistral':
      return createMistralAdapter(options);
    case 'azure-openai':
      return createAzureOpenAIAdapter({
        ...options,
        ...(entry.endpoint !== undefined && { endpoint: entry.endpoint }),
        ...(entry.apiVersion !== undefined && { apiVersion: entry.apiVersion }),
        ...(entry.azureADTokenProvider !== undefined && { azureADTokenProvider: entry.azureADTokenProvider }),
      });
    case 'gemini':
      return createGeminiAdapter({
        ...options,
        ...(entry.vertexai !== undefined && { vertexai: entry.vertexai }),
        ...(entry.project !== undefined && { project: entry.project }),
        ...(entry.location !== undefined && { location: entry.location }),
        ...(entry.googleAuthOptions !== undefined && { googleAuthOptions: entry.googleAuthOptions }),
      });
    case 'anthropic-bedrock':
      return createBedrockAdapter({ ...options, ...pick(entry, BEDROCK_OPTIONS) });
    case 'anthropic-vertex':
      return createVertexAdapter({ ...options, ...pick(entry, VERTEX_OPTIONS) });
  }
}

/** An `azure-openai` entry needs its endpoint and exactly one credential (unless given a client). */
function checkAzureEntry(name: string, entry: ProviderEntry): void {
  if (entry.client !== undefined) return;
  if (entry.endpoint === undefined) {
    throw new RouterError(
      'invalid_config',
      `providers.${name}.endpoint is required for an 'azure-openai' provider: your resource's URL, e.g. 'https://my-resource.openai.azure.com'${entry.baseURL === undefined ? '' : ' (give it as endpoint, not baseURL)'}`,
    );
  }
  if (entry.baseURL !== undefined) {
    throw new RouterError(
      'invalid_config',
      `providers.${name}.baseURL is not used by an 'azure-openai' provider: give the resource's URL as endpoint only`,
    );
  }
  if (entry.apiKey !== undefined && entry.azureADTokenProvider !== undefined) {
    throw new RouterError(
      'invalid_config',
      `providers.${name} has both apiKey and azureADTokenProvider: give one (a key, or an Entra ID token provider)`,
    );
  }
  if (entry.apiKey === undefined && entry.azureADTokenProvider === undefined) {
    throw new RouterError(
      'invalid_config',
      `providers.${name} needs an apiKey or an azureADTokenProvider (Entra ID), or a ready client`,
    );
  }
}

/** The Azure options on another type would be silently ignored: refuse them instead. */
function checkNotAzure(name: string, entry: ProviderEntry): void {
  for (const field of ['endpoint', 'apiVersion', 'azureADTokenProvider'] as const) {
    if (entry[field] !== undefined) {
      throw new RouterError(
        'invalid_config',
        `providers.${name}.${field} is an Azure OpenAI option: set type: 'azure-openai', or remove it${field === 'endpoint' ? ' (other providers take baseURL)' : ''}`,
      );
    }
  }
}

/** Vertex AI options on an entry that does not use Vertex AI, which the SDK refuses. */
function geminiProblem(name: string, entry: ProviderEntry): string | undefined {
  if (entry.vertexai === true) return undefined;
  const stray = (['project', 'location', 'googleAuthOptions'] as const).filter(
    (key) => entry[key] !== undefined,
  );
  if (stray.length === 0) return undefined;
  return `providers.${name}.${stray[0]} is for Gemini on Vertex AI: set providers.${name}.vertexai to true, or remove ${stray.join(' and ')}`;
}

/** Types whose credentials may come from their cloud's default chain: no apiKey needed. */
const CLOUD_TYPES: ReadonlySet<ProviderType> = new Set(['anthropic-bedrock', 'anthropic-vertex']);
const BEDROCK_OPTIONS = [
  'awsRegion',
  'awsAccessKey',
  'awsSecretKey',
  'awsSessionToken',
  'awsCredentials',
  'bedrockApi',
] as const;
const VERTEX_OPTIONS = ['projectId', 'location', 'accessToken', 'googleAuth'] as const;

function pick<K extends keyof ProviderEntry>(
  entry: ProviderEntry,
  keys: readonly K[],
): Pick<ProviderEntry, K> {
  const picked: Partial<Pick<ProviderEntry, K>> = {};
  for (const key of keys) if (entry[key] !== undefined) picked[key] = entry[key];
  return picked as Pick<ProviderEntry, K>;
}

/** What is missing or contradictory in a Bedrock or Vertex entry (after `providers.<name>`), or undefined. */
function cloudEntryProblem(type: ProviderType, entry: ProviderEntry): string | undefined {
  if (type === 'anthropic-bedrock') {
    if ((entry.awsAccessKey === undefined) !== (entry.awsSecretKey === undefined)) {
      const missing = entry.awsAccessKey === undefined ? 'awsAccessKey' : 'awsSecretKey';
      return `.${missing} is required with ${missing === 'awsAccessKey' ? 'awsSecretKey' : 'awsAccessKey'}: give both AWS keys, or neither to use the default AWS credential chain`;
    }
    if (entry.awsSessionToken !== undefined && entry.awsAccessKey === undefined) {
      return '.awsSessionToken needs awsAccessKey and awsSecretKey: give the temporary credentials whole';
    }
    if (
      entry.bedrockApi === 'messages' &&
      entry.awsRegion === undefined &&
      process.env.AWS_REGION === undefined &&
      process.env.AWS_DEFAULT_REGION === undefined
    ) {
      return ".awsRegion is required with bedrockApi: 'messages' (the Messages API has no default region), e.g. 'us-east-1'";
    }
    return undefined;
  }
  if (entry.client !== undefined) return undefined;
  if (entry.accessToken !== undefined && entry.googleAuth !== undefined) {
    return ': give accessToken or googleAuth, not both';
  }
  if (entry.location === undefined && process.env.CLOUD_ML_REGION === undefined) {
    return ".location is required for an 'anthropic-vertex' provider: the Vertex AI location that serves the model, e.g. 'us-east5', 'europe-west1' or 'global'";
  }
  if (
    entry.projectId === undefined &&
    entry.googleAuth === undefined &&
    process.env.ANTHROPIC_VERTEX_PROJECT_ID === undefined
  ) {
    return ".projectId is required for an 'anthropic-vertex' provider (unless a googleAuth gives it): the Google Cloud project with Claude enabled in Vertex AI";
  }
  return undefined;
}

/** What a ready client of each provider type is, and the methods the adapter calls on it. */
const CLIENT_SHAPES: Record<ProviderType, { what: string; from: string; methods: readonly string[] }> = {
  openai: {
    what: 'an OpenAI client',
    from: "new OpenAI() from 'openai'",
    methods: ['chat.completions.create'],
  },
  'openai-compatible': {
    what: 'an OpenAI client',
    from: "new OpenAI({ baseURL }) from 'openai'",
    methods: ['chat.completions.create'],
  },
  'azure-openai': {
    what: 'an AzureOpenAI client',
    from: "new AzureOpenAI({ endpoint, apiVersion }) from 'openai'",
    methods: ['chat.completions.create'],
  },
  anthropic: {
    what: 'an Anthropic client',
    from: "new Anthropic() from '@anthropic-ai/sdk'",
    methods: ['messages.create'],
  },
  gemini: {
    what: 'a GoogleGenAI client',
    from: "new GoogleGenAI({ apiKey }) from '@google/genai'",
    methods: ['models.generateContent', 'models.generateContentStream'],
  },
  mistral: {
    what: 'a Mistral client',
    from: "new Mistral() from '@mistralai/mistralai'",
    methods: ['chat.complete', 'chat.stream'],
  },
  'anthropic-bedrock': {
    what: 'an AnthropicBedrock client',
    from: "new AnthropicBedrock() from '@anthropic-ai/bedrock-sdk'",
    methods: ['messages.create'],
  },
  'anthropic-vertex': {
    what: 'an AnthropicVertex client',
    from: "new AnthropicVertex() from '@anthropic-ai/vertex-sdk'",
    methods: ['messages.create'],
  },
};

/**
 * Why a `client` given for a provider of `type` cannot serve (it lacks a method the adapter
 * calls), or undefined. Checked at createRouter, so a wrong object is `invalid_config`
 * there, not a TypeError or a failure on the first call.
 */
function clientProblem(type: ProviderType, client: unknown): string | undefined {
  const { what, from, methods } = CLIENT_SHAPES[type];
  const missing = methods.filter((path) => typeof lookUp(client, path) !== 'function');
  if (missing.length === 0) return undefined;
  const calls = (paths: readonly string[]) => paths.map((path) => `${path}()`);
  return `is not ${what}: expected ${from}, with ${calls(methods).join(' and ')}, but it has no ${calls(missing).join(' nor ')}; or give apiKey instead of client`;
}

function lookUp(value: unknown, path: string): unknown {
  let at = value;
  for (const key of path.split('.')) {
    if ((typeof at !== 'object' && typeof at !== 'function') || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}
