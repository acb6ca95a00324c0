import { describe, expect, it } from 'vitest';
import { fromGeminiEmbeddings } from './gemini/embeddings.js';
import { fromMistralEmbeddings } from './mistral/embeddings.js';
import { fromEmbeddingResponse } from './openai/embeddings.js';

describe('embeddings mappers', () => {
  it('OpenAI: puts vectors in input order by index and reads prompt_tokens', () => {
    const mapped = fromEmbeddingResponse({
      object: 'list',
      model: 'text-embedding-3-small',
      data: [
        { object: 'embedding', index: 1, embedding: [2] },
        { object: 'embedding', index: 0, embedding: [1] },
      ],
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
    expect(mapped).toEqual({ embeddings: [[1], [2]], usage: { inputTokens: 7 } });
  });

  it('OpenAI: an answer without usage says so', () => {
    const mapped = fromEmbeddingResponse({ object: 'list', model: 'm', data: [], usage: undefined as never });
    expect(mapped.usageReported).toBe(false);
  });

  it('Mistral: orders by index and reads promptTokens', () => {
    const mapped = fromMistralEmbeddings({
      id: 'x',
      object: 'list',
      model: 'mistral-embed',
      data: [
        { index: 1, embedding: [2] },
        { index: 0, embedding: [1] },
      ],
      usage: { promptTokens: 3, totalTokens: 3 },
    });
    expect(mapped).toEqual({ embeddings: [[1], [2]], usage: { inputTokens: 3 } });
  });

  it('Gemini: the Developer API reports no usage; Vertex token counts are summed when every vector has one', () => {
    expect(fromGeminiEmbeddings({ embeddings: [{ values: [1] }] })).toEqual({
      embeddings: [[1]],
      usage: { inputTokens: 0 },
      usageReported: false,
    });
    expect(
      fromGeminiEmbeddings({
        embeddings: [
          { values: [1], statistics: { tokenCount: 2 } },
          { values: [2], statistics: { tokenCount: 5 } },
        ],
      }),
    ).toEqual({ embeddings: [[1], [2]], usage: { inputTokens: 7 } });
  });
});
