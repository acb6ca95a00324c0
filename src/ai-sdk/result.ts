import type {
  LanguageModelV3FinishReason,
  LanguageModelV3Usage,
  SharedV3ProviderMetadata,
} from '@ai-sdk/provider';
import type { ChatResult, FinishReason, Usage } from '../types.js';

const UNIFIED: Readonly<Record<FinishReason, LanguageModelV3FinishReason['unified']>> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool-calls',
  content_filter: 'content-filter',
};

/** routeplane's finish reason as the V3 `{ unified, raw }`; `raw` is routeplane's own. */
export function finishReasonOf(reason: FinishReason): LanguageModelV3FinishReason {
  return { unified: UNIFIED[reason] ?? 'other', raw: reason };
}

/** The usage of an answer whose provider reported none: unknown, not zero. */
export const UNKNOWN_USAGE: LanguageModelV3Usage = {
  inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: undefined, text: undefined, reasoning: undefined },
};

/**
 * routeplane's usage as the V3 usage. routeplane's `inputTokens` already sums uncached,
 * cache-read and cache-write tokens, and `outputTokens` includes reasoning, so the parts
 * are differences. When the provider reported no usage (`usageEstimated`), every count is
 * `undefined`: the router's figures are then a reservation, not a count.
 */
export function usageOf(usage: Usage, estimated: boolean | undefined): LanguageModelV3Usage {
  if (estimated) return UNKNOWN_USAGE;
  const cacheRead = usage.cachedInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  const reasoning = usage.reasoningTokens ?? 0;
  return {
    inputTokens: {
      total: usage.inputTokens,
      noCache: Math.max(0, usage.inputTokens - cacheRead - cacheWrite),
      cacheRead,
      cacheWrite,
    },
    outputTokens: {
      total: usage.outputTokens,
      text: Math.max(0, usage.outputTokens - reasoning),
      reasoning,
    },
    raw: { ...usage },
  };
}

/**
 * `providerMetadata.routeplane` of a result: who served it, what it cost, how it was routed.
 * `fallbacks` lists the models the call fell back from, in order.
 */
export function metadataOf(result: ChatResult): SharedV3ProviderMetadata {
  const fallbacks: string[] = [];
  for (const attempt of result.attempts) {
    if (!attempt.ok && attempt.model !== result.model && !fallbacks.includes(attempt.model))
      fallbacks.push(attempt.model);
  }
  const routeplane: SharedV3ProviderMetadata[string] = {
    requestId: result.id,
    tenant: result.tenant,
    model: result.model,
    provider: result.provider,
    deployment: result.deployment,
    region: result.region ?? null,
    costUsd: result.costUsd,
    cached: result.cached,
    latencyMs: result.latencyMs,
    attempts: result.attempts.map((a) => ({ ...a })),
    fallbacks,
  };
  if (result.usageEstimated) routeplane.usageEstimated = true;
  if (result.refusal !== undefined) routeplane.refusal = result.refusal;
  if (result.ttftMs !== undefined) routeplane.ttftMs = result.ttftMs;
  return { routeplane };
}
