import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveModel } from './catalog.js';
import {
  actualCostNano,
  actualCostUsd,
  estimateCostNano,
  estimateCostUsd,
  estimateInputTokens,
  IMAGE_TOKENS,
  utf8Bytes,
} from './estimate.js';

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

describe('money', () => {
  const claude = resolveModel({
    id: 'claude',
    provider: 'anthropic',
    pricing: {
      inputPerMTok: 3,
      outputPerMTok: 15,
      cachedInputPerMTok: 0.3,
      cacheWritePerMTok: 3.75,
      cacheWrite1hPerMTok: 6,
    },
  });

  it('prices cache writes at their own rates, 5-minute and 1-hour, and the rest of the input as input', () => {
    // 10,000 input tokens in all: 2,000 read from the cache, 5,000 written (1,000 of them for an hour).
    const usage = {
      inputTokens: 10_000,
      cachedInputTokens: 2_000,
      cacheWriteInputTokens: 5_000,
      cacheWrite1hInputTokens: 1_000,
      outputTokens: 100,
      totalTokens: 10_100,
    };
    const expected = 3_000 * 3 + 2_000 * 0.3 + 4_000 * 3.75 + 1_000 * 6 + 100 * 15; // per million
    expect(actualCostNano(claude, usage)).toBe(expected * 1_000);
    expect(actualCostUsd(claude, usage)).toBe(0.0321);
    // Priced as plain input, the writes would have been billed 14 % short.
    expect(actualCostUsd(claude, { inputTokens: 10_000, outputTokens: 100, totalTokens: 10_100 })).toBe(
      0.0315,
    );
  });

  it('is exact to the nano-dollar for any usage and any price quoted to the millionth: no float noise', () => {
    const price = fc.integer({ min: 0, max: 200_000_000 }); // micro-USD per million tokens
    const tokens = fc.integer({ min: 0, max: 2_000_000 });
    fc.assert(
      fc.property(
        price,
        price,
        price,
        tokens,
        tokens,
        tokens,
        (inMicro, outMicro, cachedMicro, inT, outT, c) => {
          const model = resolveModel({
            id: 'm',
            provider: 'p',
            pricing: {
              inputPerMTok: inMicro / 1e6,
              outputPerMTok: outMicro / 1e6,
              cachedInputPerMTok: cachedMicro / 1e6,
            },
          });
          const cached = Math.min(c, inT);
          const usage = {
            inputTokens: inT,
            cachedInputTokens: cached,
            outputTokens: outT,
            totalTokens: inT + outT,
          };
          // The exact cost in pico-USD, in BigInt, rounded half up to the nano-dollar.
          const pico =
            BigInt(inT - cached) * BigInt(inMicro) +
            BigInt(cached) * BigInt(cachedMicro) +
            BigInt(outT) * BigInt(outMicro);
          const nano = Number((pico + 500n) / 1000n);
          const usd = actualCostUsd(model, usage);
          expect(usd).toBe(nano / 1e9);
          // What a user sees printed has at most nine decimals.
          expect(Number(usd.toFixed(9))).toBe(usd);
        },
      ),
    );
  });

  it('rounds a price finer than a pico-dollar per token up, so an estimate never undercounts', () => {
    const model = resolveModel({ id: 'm', provider: 'p', pricing: { inputPerMTok: 1e-9, outputPerMTok: 0 } });
    expect(estimateCostNano(model, 1_000_000, 0)).toBe(1_000); // one pico-dollar a token
  });
});
