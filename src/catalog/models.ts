import type { ModelSpec } from './types.js';

/**
 * The date the built-in prices and limits were taken from the providers' public pricing
 * and model pages. Prices change: override any entry with `createRouter({ models })`.
 */
export const CATALOG_DATE = '2026-11-01';

/*
 * Quality is a coarse 0..1 ordering for routing, not a benchmark: each model's standing on
 * public general-purpose leaderboards (LMArena text and the providers' own published evals)
 * mapped onto 0.5–0.95 and rounded to 0.05 steps. Use `minQuality` to keep a tenant above a
 * floor; override `quality` in `models` with your own evals where it matters.
 */
const OPENAI_CAPS = ['tools', 'vision', 'json'] as const;
const CLAUDE_CAPS = ['tools', 'vision', 'json'] as const;

/** The built-in models. Regions are where the provider's default endpoint serves them. */
export const BUILTIN_MODELS: readonly ModelSpec[] = [
  // OpenAI
  m('gpt-5', 'openai', 'us', 1.25, 10, 0.125, 400_000, 128_000, 0.95, OPENAI_CAPS),
  m('gpt-5-mini', 'openai', 'us', 0.25, 2, 0.025, 400_000, 128_000, 0.85, OPENAI_CAPS),
  m('gpt-5-nano', 'openai', 'us', 0.05, 0.4, 0.005, 400_000, 128_000, 0.7, OPENAI_CAPS),
  m('gpt-4.1', 'openai', 'us', 2, 8, 0.5, 1_047_576, 32_768, 0.85, OPENAI_CAPS),
  m('gpt-4.1-mini', 'openai', 'us', 0.4, 1.6, 0.1, 1_047_576, 32_768, 0.75, OPENAI_CAPS),
  m('gpt-4.1-nano', 'openai', 'us', 0.1, 0.4, 0.025, 1_047_576, 32_768, 0.6, OPENAI_CAPS),
  m('gpt-4o', 'openai', 'us', 2.5, 10, 1.25, 128_000, 16_384, 0.8, OPENAI_CAPS),
  m('gpt-4o-mini', 'openai', 'us', 0.15, 0.6, 0.075, 128_000, 16_384, 0.65, OPENAI_CAPS),
  // Anthropic
  m('claude-opus-4-1', 'anthropic', 'us', 15, 75, 1.5, 200_000, 32_000, 0.95, CLAUDE_CAPS),
  m('claude-sonnet-4-5', 'anthropic', 'us', 3, 15, 0.3, 200_000, 64_000, 0.95, CLAUDE_CAPS),
  m('claude-haiku-4-5', 'anthropic', 'us', 1, 5, 0.1, 200_000, 64_000, 0.8, CLAUDE_CAPS),
  // Mistral
  m('mistral-large-latest', 'mistral', 'eu', 2, 6, undefined, 128_000, 32_768, 0.8, [
    'tools',
    'vision',
    'json',
  ]),
  m('mistral-medium-latest', 'mistral', 'eu', 0.4, 2, undefined, 128_000, 32_768, 0.8, [
    'tools',
    'vision',
    'json',
  ]),
  m('mistral-small-latest', 'mistral', 'eu', 0.1, 0.3, undefined, 128_000, 32_768, 0.65, [
    'tools',
    'vision',
    'json',
  ]),
  m('ministral-8b-latest', 'mistral', 'eu', 0.1, 0.1, undefined, 128_000, 32_768, 0.55, ['tools', 'json']),
  m('codestral-latest', 'mistral', 'eu', 0.3, 0.9, undefined, 256_000, 32_768, 0.7, ['tools', 'json']),
];

function m(
  id: string,
  provider: string,
  region: string,
  inputPerMTok: number,
  outputPerMTok: number,
  cachedInputPerMTok: number | undefined,
  contextWindow: number,
  maxOutputTokens: number,
  quality: number,
  capabilities: readonly ('tools' | 'vision' | 'json')[],
): ModelSpec {
  return {
    id,
    provider,
    region,
    pricing: { inputPerMTok, outputPerMTok, ...(cachedInputPerMTok !== undefined && { cachedInputPerMTok }) },
    contextWindow,
    maxOutputTokens,
    quality,
    capabilities: [...capabilities],
  };
}
