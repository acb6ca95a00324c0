// The embeddings APIs the emulator serves, beside the chat wire formats (whose core is
// chat-shaped): the routes, the request bodies and the answers. Errors, headers and faults
// are the provider's chat wire's.
import { createHash } from 'node:crypto';
import { mulberry32 } from '../ids.js';
import type { EmulatedProvider } from '../wire.js';

/** An embeddings request as the emulator reads it. */
export interface EmbedWireRequest {
  model: string;
  texts: string[];
  dimensions?: number;
  /** OpenAI and Azure: the vectors go back as base64 float32 (what the SDK asks for by default). */
  base64: boolean;
}

/** The providers and paths (under the provider's prefix) of the embeddings APIs. */
export function embeddingRoute(
  provider: string,
  path: string,
): { provider: EmulatedProvider; model?: string } | undefined {
  if ((provider === 'openai' || provider === 'mistral') && path === '/v1/embeddings') return { provider };
  if (provider === 'azure') {
    const model = /^\/openai\/deployments\/([^/]+)\/embeddings$/.exec(path)?.[1];
    return model === undefined ? undefined : { provider, model: decodeURIComponent(model) };
  }
  if (provider === 'gemini') {
    const model = /^\/v1beta\/models\/([^/:]+):batchEmbedContents$/.exec(path)?.[1];
    return model === undefined ? undefined : { provider, model: decodeURIComponent(model) };
  }
  return undefined;
}

/** Reads an embeddings body; a message for a 400 when it is not one. */
export function readEmbedRequest(
  provider: EmulatedProvider,
  body: Record<string, unknown>,
  pathModel: string | undefined,
): EmbedWireRequest | { invalid: string } {
  if (provider === 'gemini') {
    const requests = body.requests;
    if (!Array.isArray(requests) || requests.length === 0)
      return { invalid: 'requests must be a non-empty list' };
    if (requests.length > 100) return { invalid: 'at most 100 requests can be in one batch' };
    const texts: string[] = [];
    let dimensions: number | undefined;
    for (const request of requests as Array<Record<string, unknown>>) {
      const parts = (request?.content as { parts?: Array<{ text?: unknown }> } | undefined)?.parts;
      const text = parts?.map((p) => (typeof p.text === 'string' ? p.text : '')).join('');
      if (!text) return { invalid: 'each request needs content with text parts' };
      texts.push(text);
      if (typeof request.outputDimensionality === 'number') dimensions = request.outputDimensionality;
    }
    return { model: pathModel!, texts, ...(dimensions !== undefined && { dimensions }), base64: false };
  }
  const model = pathModel ?? body.model;
  if (typeof model !== 'string' || model === '') return { invalid: 'model is required' };
  const input = body.input;
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string' || t === '')) {
    return { invalid: 'input must be a non-empty string or a list of them' };
  }
  if (provider !== 'mistral' && texts.length > 2_048) return { invalid: 'input holds at most 2048 texts' };
  const asked = provider === 'mistral' ? body.output_dimension : body.dimensions;
  return {
    model,
    texts: texts as string[],
    ...(typeof asked === 'number' && { dimensions: asked }),
    base64: provider !== 'mistral' && body.encoding_format === 'base64',
  };
}

/** The vector length of the built-in embedding models; others get 8. */
const DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1_536,
  'text-embedding-3-large': 3_072,
  'mistral-embed': 1_024,
  'gemini-embedding-001': 3_072,
};

/**
 * A deterministic unit vector for `text`: the same text and length always give the same
 * vector (seeded by its SHA-256), different texts different ones.
 */
export function emulatorVector(text: string, dimensions: number): number[] {
  const random = mulberry32(createHash('sha256').update(text).digest().readUInt32LE(0));
  const vector = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((x) => Math.fround(x / norm));
}

/** The JSON answer of an embeddings request; `tokens` undefined sends no usage. */
export function embedAnswer(
  provider: EmulatedProvider,
  request: EmbedWireRequest,
  tokens: number | undefined,
  id: string,
): unknown {
  const length = request.dimensions ?? DIMENSIONS[request.model] ?? 8;
  const vectors = request.texts.map((text) => emulatorVector(text, length));
  if (provider === 'gemini') return { embeddings: vectors.map((values) => ({ values })) };
  const data = vectors.map((vector, index) => ({
    object: 'embedding',
    index,
    embedding: request.base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
  }));
  const usage = tokens === undefined ? undefined : { prompt_tokens: tokens, total_tokens: tokens };
  return {
    ...(provider === 'mistral' && { id }),
    object: 'list',
    data,
    model: request.model,
    ...(usage && { usage: provider === 'mistral' ? { ...usage, completion_tokens: 0 } : usage }),
  };
}
