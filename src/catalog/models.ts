import type { ModelSpec } from './types.js';

/**
 * The date of the newest price data in the built-in catalog (OpenAI's GPT-6.2 prices,
 * published 2026-11-17). The other entries were last confirmed earlier: Anthropic's on
 * 2026-10-24, Mistral's between 2026-08-27 and 2026-09-29. Prices change: override any
 * entry with `createRouter({ models })`.
 */
export const CATALOG_DATE = '2026-11-18';

/*
 * Sources. Anthropic: the platform.claude.com model pages (Opus 5.5, Sonnet 5.5, Haiku 5.5)
 * and pricing page; the Sonnet 5.5 cache-read cut to $0.10 of 2026-10-07 is taken from price
 * trackers that re-read that page (the stored model page predates it). OpenAI: the model and
 * pricing pages as quoted by LiteLLM's release notes and API resellers that bill at list
 * price; GPT-6.2 Sol's cached-input price was not found, so it has none (cached tokens are
 * then priced as input, an overestimate). Mistral: models.dev entries citing
 * docs.mistral.ai/models and docs.mistral.ai/inference/pricing; the `-latest` aliases resolve
 * to Medium 3.5 (2604), Large 3 (2512), Small 4 (2603), Ministral 3 8B (2512) and Codestral
 * 25.08. Mistral publishes no output cap apart from the context window, so max output is
 * the window. None of these is on a deprecation list (Anthropic's, OpenAI's, the Anthropic
 * SDK's) as of CATALOG_DATE; older ids the SDKs still list were left out.
 *
 * Long-context prices: OpenAI bills a whole request at 2× input and 1.5× output once its
 * input passes 272K tokens, and Claude Haiku 5.5 at 5× once its prompt passes 100K. A flat
 * price cannot express that, and cost estimates must stay upper bounds (budgets reserve
 * them), so these entries list the window of the base price band (272K of 1.05M; 100K of
 * 1M). Override `contextWindow` and `pricing` to route longer prompts to them.
 *
 * Quality is a coarse 0..1 ordering for routing, not a benchmark. It comes from each
 * provider's own tiering, mapped onto shared steps so comparable tiers match across
 * providers: flagship 0.95, mid 0.9, fast mid 0.85, small 0.75, edge 0.6 (Codestral, a code
 * specialist, 0.65); the previous generation one step (0.05) below its successor. A model goes one step above its tier only
 * where a published number puts it next to the tier above: GPT-6.2 Sol (Artificial Analysis
 * Intelligence Index: GPT-6.1 Sol 52 against GPT-6 Astra 53; OpenAI reports GPT-6.2 Sol
 * within 0.5 points of Astra on FrontierCode 2.0) and GPT-6 Luna (66.6% on DeepSWE v1.1
 * against 68.8% for GPT-6 Sol, as reported by OpenAI). No such number was found for Claude
 * Sonnet 5.5 or Haiku 5.5, so they stay at their tier, and equal scores at equal prices fall
 * to the id order. Mistral's tiers sit lower: Medium 3.5, its flagship, compares itself with
 * the previous generation of the others (0.85), and Large 3 and Small 4 are level on
 * Artificial Analysis' coding index (22.7 and 24.3). Use `minQuality` to keep a tenant
 * above a floor; override `quality` in `models` with your own evals where it matters.
 */
const ALL_CAPS = ['tools', 'vision', 'json'] as const;
/*
 * `reasoning`: a model that takes a thinking control. Gemini 3 models think by default (a
 * thinking level or budget); OpenAI's GPT-6 family are reasoning models (`reasoning_effort`);
 * every Claude entry takes extended or adaptive thinking; Mistral Medium 3.5 and Small 4
 * take `reasoning_effort` (Large 3, Ministral and Codestral do not reason).
 */
const REASONING_CAPS = ['tools', 'vision', 'json', 'reasoning'] as const;
const GEMINI_CAPS = REASONING_CAPS;

/** The built-in models. Regions are where the provider's default endpoint serves them. */
export const BUILTIN_MODELS: readonly ModelSpec[] = [
  // OpenAI: 1.05M-token window, listed at its 272K base-price band (see above).
  m('gpt-6.2-astra', 'openai', 'us', 8, 40, 0.4, 272_000, 128_000, 0.95, REASONING_CAPS),
  m('gpt-6.2-sol', 'openai', 'us', 2, 10, undefined, 272_000, 128_000, 0.95, REASONING_CAPS),
  m('gpt-6.1-terra', 'openai', 'us', 1, 5, 0.05, 272_000, 128_000, 0.85, REASONING_CAPS),
  m('gpt-6-luna', 'openai', 'us', 0.1, 0.5, 0.01, 272_000, 128_000, 0.8, REASONING_CAPS),
  // Anthropic
  m('claude-opus-5-5', 'anthropic', 'us', 4, 20, 0.2, 1_000_000, 128_000, 0.95, REASONING_CAPS),
  m('claude-sonnet-5-5', 'anthropic', 'us', 2, 10, 0.1, 1_000_000, 128_000, 0.9, REASONING_CAPS),
  m('claude-sonnet-4-6', 'anthropic', 'us', 3, 15, 0.3, 1_000_000, 64_000, 0.85, REASONING_CAPS),
  // 1M-token window, listed at its 100K base-price band (see above).
  m('claude-haiku-5-5', 'anthropic', 'us', 0.1, 0.5, 0.01, 100_000, 128_000, 0.75, REASONING_CAPS),
  // Mistral
  m('mistral-medium-latest', 'mistral', 'eu', 1.5, 7.5, undefined, 262_144, 262_144, 0.85, REASONING_CAPS),
  m('mistral-large-latest', 'mistral', 'eu', 0.5, 1.5, 0.05, 262_144, 262_144, 0.75, ALL_CAPS),
  m('mistral-small-latest', 'mistral', 'eu', 0.15, 0.6, undefined, 256_000, 256_000, 0.75, REASONING_CAPS),
  m('ministral-8b-latest', 'mistral', 'eu', 0.15, 0.15, 0.015, 256_000, 256_000, 0.6, ALL_CAPS),
  m('codestral-latest', 'mistral', 'eu', 0.3, 0.9, 0.03, 256_000, 256_000, 0.65, ['tools', 'json']),
  // Gemini (Developer API; on Vertex AI add your own entry). Prices from
  // ai.google.dev/gemini-api/docs/pricing as transcribed on 2026-10-07 (api-evangelist/deepmind
  // plans/deepmind-plans-pricing.yml), cached-input prices from the release notes of
  // simstudioai/sim (#4660 of 2026-05-19, #5812 of 2026-07-21) and LiteLLM (3.8 Flash).
  // 3.8 Flash is at its launch price until 2026-12-31 ($1.50 / $7.50 / $0.15 from
  // 2027-01-01: override it then). 1,048,576-token windows and 65,536-token outputs; 3.1 Pro
  // listed at its 200K base-price band ($4 / $18 above it), as the OpenAI entries are.
  m('gemini-3.1-pro-preview', 'gemini', 'us', 2, 12, undefined, 200_000, 65_536, 0.95, GEMINI_CAPS),
  m('gemini-3.8-flash', 'gemini', 'us', 0.75, 3.75, 0.075, 1_048_576, 65_536, 0.85, GEMINI_CAPS),
  m('gemini-3.5-flash', 'gemini', 'us', 1.5, 9, 0.15, 1_048_576, 65_536, 0.8, GEMINI_CAPS),
  m('gemini-3.5-flash-lite', 'gemini', 'us', 0.3, 2.5, 0.03, 1_048_576, 65_536, 0.75, GEMINI_CAPS),
  // Embedding models, for router.embed() only (capabilities: ['embeddings']); confirmed on
  // 2026-11-18. The context window is the most input tokens per text; they bill input only.
  // OpenAI: $0.02 and $0.13 per MTok, 8,191 tokens, 1,536 and 3,072 dimensions that
  // `dimensions` shortens (developers.openai.com/api/docs/models/text-embedding-3-small as
  // snapshotted by tokenprice.fyi on 2026-07-03; burncloud.com's copies of both model pages).
  // Mistral: $0.10 per MTok, 8,192 tokens, 1,024 dimensions, not shortenable (opencode.ai/data
  // mistral-embed, from models.dev). Gemini: $0.15 per MTok, 2,048 tokens, 3,072 dimensions
  // that `outputDimensionality` shortens (Google's GA announcement on the Google Developers
  // Blog, quoted in simonw/llm-gemini#102; openrouter.ai).
  // Quality orders the embedding models among themselves only: they never compete with chat.
  e('text-embedding-3-small', 'openai', 'us', 0.02, 8_191, 0.75, 1_536, true),
  e('text-embedding-3-large', 'openai', 'us', 0.13, 8_191, 0.85, 3_072, true),
  e('mistral-embed', 'mistral', 'eu', 0.1, 8_192, 0.75, 1_024, false),
  e('gemini-embedding-001', 'gemini', 'us', 0.15, 2_048, 0.85, 3_072, true),
];

/** An embedding model: input price only, one output token (none is billed or reserved). */
function e(
  id: string,
  provider: string,
  region: string,
  inputPerMTok: number,
  contextWindow: number,
  quality: number,
  dimensions: number,
  customDimensions: boolean,
): ModelSpec {
  return {
    id,
    provider,
    region,
    pricing: { inputPerMTok, outputPerMTok: 0 },
    contextWindow,
    maxOutputTokens: 1,
    quality,
    capabilities: ['embeddings'],
    embedding: { dimensions, customDimensions },
  };
}

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
  capabilities: readonly ('tools' | 'vision' | 'json' | 'reasoning')[],
): ModelSpec {
  return {
    id,
    provider,
    region,
    pricing: {
      inputPerMTok,
      outputPerMTok,
      ...(cachedInputPerMTok !== undefined && { cachedInputPerMTok }),
      // Anthropic bills prompt-cache writes at 1.25× input (5-minute lifetime) and 2× (1 hour).
      ...(provider === 'anthropic' && {
        cacheWritePerMTok: inputPerMTok * 1.25,
        cacheWrite1hPerMTok: inputPerMTok * 2,
      }),
    },
    contextWindow,
    maxOutputTokens,
    quality,
    capabilities: [...capabilities],
  };
}
