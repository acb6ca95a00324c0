import type { Mistral } from '@mistralai/mistralai';
import type { EmbeddingResponse } from '@mistralai/mistralai/models/components';
import type { EmbeddingsSpec } from '../define.js';
import type { ProviderEmbedResponse } from '../types.js';

type RequestOptions = NonNullable<Parameters<Mistral['embeddings']['create']>[1]>;

/**
 * Mistral's embeddings API (`POST /v1/embeddings`). Mistral documents no batch limit; its
 * API refuses a request of too many tokens overall, so batches are kept to 512 texts and
 * 16,384 tokens (by the UTF-8 bound), which every Mistral embedding model takes.
 */
export const mistralEmbeddings: EmbeddingsSpec<Mistral, RequestOptions> = {
  maxInputs: 512,
  maxTokens: 16_384,
  embed: async (client, { model, input, dimensions }, options) =>
    fromMistralEmbeddings(
      await client.embeddings.create(
        { model, inputs: input, ...(dimensions !== undefined && { outputDimension: dimensions }) },
        options,
      ),
    ),
};

/** The vectors in input order (by `index`), and the prompt tokens billed. */
export function fromMistralEmbeddings(response: EmbeddingResponse): ProviderEmbedResponse {
  const data = [...response.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  const tokens = response.usage?.promptTokens;
  return {
    embeddings: data.map((d) => d.embedding ?? []),
    usage: { inputTokens: tokens ?? 0 },
    ...(typeof tokens !== 'number' && { usageReported: false }),
  };
}
