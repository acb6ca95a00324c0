import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveModel } from './catalog.js';
import { actualCostUsd, estimateCostUsd, estimateInputTokens, IMAGE_TOKENS, utf8Bytes } from './estimate.js';

describe('estimation', () => {
  it('counts UTF-8 bytes exactly as the encoder does, for any well-formed text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(utf8Bytes(text)).toBe(Buffer.byteLength(text, 'utf8'));
      }),
    );
  });

  it('never estimates fewer input tokens than the prompt has bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 5 }), (texts) => {
        const messages = texts.map((content) => ({ role: 'user' as const, content }));
        const bytes = texts.reduce((sum, t) => sum + Buffer.byteLength(t), 0);
        expect(estimateInputTokens(messages)).toBeGreaterThanOrEqual(bytes);
      }),
    );
  });

  it('counts images, tool calls and tools', () => {
    const base = estimateInputTokens([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
    const withImage = estimateInputTokens([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'hi' },
          { type: 'image', url: 'https://x/y.png' },
        ],
      },
    ]);
    expect(withImage - base).toBe(IMAGE_TOKENS);
    const withTools = estimateInputTokens(
      [{ role: 'user', content: 'hi' }],
      [{ name: 'f', parameters: { type: 'object' } }],
    );
    expect(withTools).toBeGreaterThan(estimateInputTokens([{ role: 'user', content: 'hi' }]));
  });

  it('prices the estimate and the actual usage, cached input at its own price', () => {
    const model = resolveModel({
      id: 'm',
      provider: 'p',
      pricing: { inputPerMTok: 2, outputPerMTok: 10, cachedInputPerMTok: 0.5 },
    });
    expect(estimateCostUsd(model, 1_000_000, 100_000)).toBeCloseTo(3);
    expect(
      actualCostUsd(model, {
        inputTokens: 1_000_000,
        cachedInputTokens: 400_000,
        outputTokens: 0,
        totalTokens: 0,
      }),
    ).toBeCloseTo(0.6 * 2 + 0.4 * 0.5);
  });
});
