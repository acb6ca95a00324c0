import { estimateCostUsd, utf8Bytes } from '../catalog/estimate.js';
import { defaultOutputTokens } from '../catalog/reasoning.js';
import type { ResolvedModel } from '../catalog/types.js';
import { RouterError } from '../errors.js';
import type { DeploymentStatus, RouteDecision } from '../events/types.js';
import { HealthTracker } from '../health/tracker.js';
import type { Middleware } from '../pipeline/compose.js';
import type { RouteContext } from '../pipeline/context.js';
import { inputTokensOf } from '../pipeline/estimate.js';
import { STRATEGIES } from '../strategies/index.js';
import { applySplit, splitPoint } from '../strategies/split.js';
import type { Candidate } from '../strategies/types.js';
import { unavailable } from './deployments.js';

/**
 * The context-window check uses a typical size, not the bound: prose and code run 3 to 4
 * UTF-8 bytes a token (BENCHMARKS.md, "Estimator"), so bound / 3 keeps long prompts from
 * being refused by windows they fit. Dense text (JSON, numbers, some CJK) can be up to
 * 2.4× larger than this; a model that then answers `context_length` falls back to a
 * candidate with a larger window.
 */
const CONTEXT_BYTES_PER_TOKEN = 3;

/**
 * Estimates the final prompt (after every input stage) once; drops eligible models whose
 * context window or max output cannot hold the call, candidates over the cost cap (the lower of the request's `maxCost` and the policy's
 * `maxCostPerRequest`), under `minQuality` (a forced model is exempt: it was named), or with
 * an open circuit; ranks the rest with the strategy in force, and emits `route.decided`.
 * For `router.embed()` the eligible models are embedding models, each text must fit the
 * model's per-text limit, and the estimate is the input bound at the input price (no output).
 * A traffic `split` then picks the first candidate (see `applySplit`). The ranked list is
 * the fallback order. In `explain` mode the pipeline ends here.
 */
export const strategyStage: Middleware<RouteContext> = (ctx, next) => {
  const { request, services } = ctx;
  const policy = ctx.policy!;
  const strategy = ctx.strategy!;
  const forced = strategy === 'force_model' ? (request.forceModel ?? policy.model) : undefined;
  const cap = minDefined(request.maxCost, policy.maxCostPerRequest);
  const minQuality = policy.minQuality;

  const inputTokens = inputTokensOf(ctx);
  // Health is per deployment: this tenant's credential for the model's provider. A model
  // with several deployments is as healthy as its first available one.
  const keyOf = (model: ResolvedModel) =>
    HealthTracker.keyOf(model, policy.credentials?.[model.provider]?.id);
  const healthOf = (model: ResolvedModel) => {
    if (model.deployments.length === 1) return services.health.view(keyOf(model));
    for (const d of model.deployments) {
      const key = keyOf(d);
      if (unavailable(ctx, key) === undefined) return services.health.view(key);
    }
    return services.health.view(keyOf(model));
  };
  const kept: Candidate[] = [];
  for (const model of ctx.eligible) {
    // Embeddings have no output: nothing is reserved for it, and the limit is per text.
    const maxTokens = ctx.embed
      ? 0
      : (request.maxTokens ??
        defaultOutputTokens(request.reasoning, services.defaultMaxTokens, model.maxOutputTokens));
    const misfit = ctx.embed ? textExclusion(ctx, model) : sizeExclusion(model, inputTokens, maxTokens);
    if (misfit !== undefined) {
      ctx.excluded.push({ model: model.id, reason: misfit });
      continue;
    }
    const candidate: Candidate = {
      model,
      inputTokens,
      maxTokens,
      estCostUsd: estimateCostUsd(model, inputTokens, maxTokens, policy.promptCaching),
    };
    if (cap !== undefined && candidate.estCostUsd > cap) {
      ctx.excluded.push({
        model: model.id,
        reason: `estimated cost $${round(candidate.estCostUsd)} is above the cap of $${cap}`,
      });
    } else if (minQuality !== undefined && model.quality < minQuality && model.id !== forced) {
      ctx.excluded.push({
        model: model.id,
        reason: `quality ${model.quality} is below minQuality ${minQuality}`,
      });
    } else if (healthOf(model)?.open) {
      ctx.excluded.push({ model: model.id, reason: 'circuit open after recent failures' });
    } else kept.push(candidate);
  }
  ctx.candidates = kept;
  const ranked = STRATEGIES[strategy]({
    candidates: kept,
    forced,
    fallbacks: policy.fallbacks,
    weights: services.weights,
    health: (id) => {
      const model = ctx.catalog.get(id);
      return model ? healthOf(model) : undefined;
    },
  });
  ctx.ranked =
    // A split shares chat traffic between chat models: embed calls are ranked by the strategy.
    policy.split && request.forceModel === undefined && !ctx.embed
      ? applySplit(ranked, kept, policy.split, splitPoint(ctx.tenant, request.user, services.random))
      : ranked;
  // Every model is either ranked or excluded with a reason: force_model ranks only its chain.
  if (ctx.ranked.length < kept.length) {
    const ranked = ctx.ranked;
    const isRanked = (candidate: Candidate) => {
      for (let i = 0; i < ranked.length; i++) if (ranked[i]!.candidate === candidate) return true;
      return false;
    };
    for (const candidate of kept) {
      if (!isRanked(candidate)) {
        ctx.excluded.push({
          model: candidate.model.id,
          reason: 'not the forced model or one of its fallbacks',
        });
      }
    }
  }

  const decision: RouteDecision = {
    tenant: ctx.tenant,
    strategy,
    chosen: ctx.ranked[0]?.candidate.model.id,
    candidates: ctx.ranked.map(({ candidate, score }) => ({
      model: candidate.model.id,
      provider: candidate.model.provider,
      ...(candidate.model.region !== undefined && { region: candidate.model.region }),
      score: round(score),
      estCostUsd: round(candidate.estCostUsd),
      ...(ctx.catalog.get(candidate.model.id)!.deployments.length > 1 && {
        deployments: deploymentStatus(ctx, candidate.model, keyOf),
      }),
    })),
    excluded: ctx.excluded,
  };
  ctx.decision = decision;
  services.emit('route.decided', () => {
    const { tenant: _tenant, ...rest } = decision;
    return { requestId: ctx.requestId, tenant: ctx.tenant, timestamp: services.now(), ...rest };
  });

  if (ctx.mode === 'explain') return;
  if (ctx.ranked.length === 0) {
    const reasons = relevantFirst(ctx)
      .slice(0, 6)
      .map((e) => `${e.model}: ${e.reason}`)
      .join('; ');
    throw new RouterError(
      'no_eligible_model',
      `no model is eligible for tenant '${ctx.tenant}' with strategy '${strategy}'${reasons ? ` (${reasons}${ctx.excluded.length > 6 ? '; …' : ''})` : ''}; router.explain() lists every exclusion`,
      { tenant: ctx.tenant, requestId: ctx.requestId, excluded: ctx.excluded },
    );
  }
  return next();
};

function sizeExclusion(model: ResolvedModel, inputTokens: number, maxTokens: number): string | undefined {
  if (maxTokens > model.maxOutputTokens)
    return `maxTokens ${maxTokens} is above its max output of ${model.maxOutputTokens}`;
  const likelyInput = Math.ceil(inputTokens / CONTEXT_BYTES_PER_TOKEN);
  if (likelyInput + maxTokens > model.contextWindow) {
    return `context window ${model.contextWindow} is too small for ~${likelyInput} input + ${maxTokens} output tokens`;
  }
  return undefined;
}

/**
 * For `router.embed()`: an embedding model's `contextWindow` is its limit per text; the
 * longest text is measured as a prompt is (typical size, see `CONTEXT_BYTES_PER_TOKEN`).
 */
function textExclusion(ctx: RouteContext, model: ResolvedModel): string | undefined {
  const embed = ctx.embed!;
  if (embed.longestText === undefined) {
    let longest = 0;
    for (const message of ctx.messages) {
      if (typeof message.content === 'string') longest = Math.max(longest, utf8Bytes(message.content));
    }
    embed.longestText = longest;
  }
  const likely = Math.ceil(embed.longestText / CONTEXT_BYTES_PER_TOKEN);
  return likely > model.contextWindow
    ? `the longest text (~${likely} tokens) is above its limit of ${model.contextWindow} tokens per text`
    : undefined;
}

/**
 * The exclusions in the order a `no_eligible_model` message names them: first the models of
 * the call's kind (embedding models for `router.embed()`, the others for chat), whose
 * reasons are the ones that matter; the models of the other kind after them.
 */
function relevantFirst(ctx: RouteContext): RouteContext['excluded'] {
  const embeds = (id: string) => ctx.catalog.get(id)?.capabilities?.has('embeddings') === true;
  const wanted = ctx.excluded.filter((e) => embeds(e.model) === (ctx.embed !== undefined));
  return wanted.length === ctx.excluded.length
    ? wanted
    : [...wanted, ...ctx.excluded.filter((e) => !wanted.includes(e))];
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** Rounds a USD amount or score to 6 decimals for display; comparisons use exact values. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * Each deployment of a model with several, for `explain()`: available, or why not (out of
 * the tenant's regions, circuit open, rate limited).
 */
function deploymentStatus(
  ctx: RouteContext,
  model: ResolvedModel,
  keyOf: (model: ResolvedModel) => string,
): DeploymentStatus[] {
  const all = ctx.catalog.get(model.id)!.deployments;
  return all.map((d) => {
    const kept = model.deployments.find((k) => k.provider === d.provider && k.upstream === d.upstream);
    const reason = kept === undefined ? 'region not in allowedRegions' : unavailable(ctx, keyOf(kept));
    return {
      provider: d.provider,
      ...(d.region !== undefined && { region: d.region }),
      weight: d.weight,
      available: reason === undefined,
      ...(reason !== undefined && { reason }),
    };
  });
}
