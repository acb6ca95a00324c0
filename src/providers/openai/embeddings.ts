import type OpenAI from 'openai';
import type { CreateEmbeddingResponse } from 'openai/resources/embeddings';
import type { EmbeddingsSpec } from '../define.js';
import type { ProviderEmbedResponse } from '../types.js';

type RequestOptions = { maxRetries: 0; signal?: AbortSignal };

/**
 * OpenAI's embeddings API (`POST /v1/embeddings`), also Azure OpenAI's and that of
 * OpenAI-compatible servers: at most 2,048 texts and 300,000 tokens a request. The SDK asks
 * OpenAI and Azure for base64 vectors and decodes them; compatible servers are asked for
 * floats, which every server that copies the API returns.
 */
export function openaiEmbeddings(floats: boolean): EmbeddingsSpec<OpenAI, RequestOptions> {
  return {
    maxInputs: 2_048,
    maxTokens: 300_000,
    embed: async (client, { model, input, dimensions }, options) =>
      fromEmbeddingResponse(
        await client.embeddings.create(
          {
            model,
            input,
            ...(dimensions !== undefined && { dimensions }),
            ...(floats && { encoding_format: 'float' as const }),
          },
          options,
        ),
      ),
  };
}

/** The vectors in input order (by `index`), and the prompt tokens billed. */
export function fromEmbeddingResponse(response: CreateEmbeddingResponse): ProviderEmbedResponse {
  const data = [...response.data].sort((a, b) => a.index - b.index);
  const tokens = response.usage?.prompt_tokens;
  return {
    embeddings: data.map((d) => d.embedding),
    usage: { inputTokens: tokens ?? 0 },
    ...(typeof tokens !== 'number' && { usageReported: false }),
  };
}
