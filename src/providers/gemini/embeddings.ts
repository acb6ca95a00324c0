import type { EmbedContentConfig, EmbedContentResponse, GoogleGenAI } from '@google/genai';
import type { EmbeddingsSpec } from '../define.js';
import type { ProviderEmbedResponse } from '../types.js';

type Settings = Pick<EmbedContentConfig, 'abortSignal' | 'httpOptions'>;

/**
 * Gemini's embeddings (`models.embedContent` with a list of contents: the Developer API's
 * `batchEmbedContents`, at most 100 texts a request; Vertex AI's `predict`). The Developer
 * API reports no token usage: such a call is charged at its reservation (the input's upper
 * bound), as any answer without usage is. Vertex AI's per-text `statistics.tokenCount` is
 * summed when every vector has it.
 */
export const geminiEmbeddings: EmbeddingsSpec<GoogleGenAI, Settings> = {
  maxInputs: 100,
  embed: async (client, { model, input, dimensions }, settings) =>
    fromGeminiEmbeddings(
      await client.models.embedContent({
        model,
        contents: input,
        config: {
          ...(dimensions !== undefined && { outputDimensionality: dimensions }),
          ...(settings.httpOptions && { httpOptions: settings.httpOptions }),
          ...(settings.abortSignal && { abortSignal: settings.abortSignal }),
        },
      }),
    ),
};

export function fromGeminiEmbeddings(response: EmbedContentResponse): ProviderEmbedResponse {
  const embeddings = response.embeddings ?? [];
  let tokens = 0;
  let counted = embeddings.length > 0;
  for (const e of embeddings) {
    const count = e.statistics?.tokenCount;
    if (typeof count === 'number') tokens += count;
    else counted = false;
  }
  return {
    embeddings: embeddings.map((e) => e.values ?? []),
    usage: { inputTokens: counted ? tokens : 0 },
    ...(!counted && { usageReported: false }),
  };
}
