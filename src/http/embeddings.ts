import type { EmbedRequest, EmbedResult } from '../types.js';
import type { CallerFields } from './chat.js';
import { resultHeaders } from './chat.js';
import type { EmbeddingsBody } from './wire.js';

/** What `/v1/embeddings` needs of a router: `router.embed()`. */
export type EmbeddingRouter = { embed(request: EmbedRequest): Promise<EmbedResult> };

/** True when the router has `embed()` (routers built before it existed do not). */
export function canEmbed(router: object): router is EmbeddingRouter {
  return typeof (router as { embed?: unknown }).embed === 'function';
}

/** Serves `POST /v1/embeddings` as OpenAI's embeddings list (`encoding_format` float or base64). */
export async function embed(
  router: EmbeddingRouter,
  body: EmbeddingsBody,
  caller: CallerFields,
  signal: AbortSignal,
): Promise<Response> {
  const request: EmbedRequest = { tenant: caller.tenant, input: body.input, signal };
  if (body.model !== 'auto') request.forceModel = body.model;
  const user = caller.user ?? body.user ?? undefined;
  if (user !== undefined) request.user = user;
  if (caller.role !== undefined) request.role = caller.role;
  if (caller.tags !== undefined) request.tags = caller.tags;
  if (body.dimensions != null) request.dimensions = body.dimensions;
  const result = await router.embed(request);
  const base64 = body.encoding_format === 'base64';
  const list = {
    object: 'list',
    data: result.embeddings.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
    })),
    model: result.model,
    usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.inputTokens },
  };
  return new Response(JSON.stringify(list), {
    status: 200,
    headers: { 'content-type': 'application/json', ...resultHeaders(result) },
  });
}
