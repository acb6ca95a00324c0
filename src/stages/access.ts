import { estimateCostUsd, estimateInputTokens, hasImages } from '../catalog/estimate.js';
import type { ResolvedModel } from '../catalog/types.js';
import { RouterError } from '../errors.js';
import type { Middleware } from '../pipeline/compose.js';
import type { RouteContext } from '../pipeline/context.js';
import type { EffectivePolicy } from '../pipeline/policy.js';
import type { ChatRequest } from '../types.js';

/** Typical text runs 3 or more UTF-8 bytes a token, so the bound / 3 does not under-count a prompt's real size. */
const CONTEXT_BYTES_PER_TOKEN = 3;

/**
 * Narrows the catalog to the models this call may use, recording why each other model is
 * out: the policy's allow and deny lists, the caller's role, the tenant's regions, the
 * capabilities the request needs (tools, vision, json), the context window and max output.
 * A forced model the policy forbids is `policy_denied`, never swapped for another.
 */
export const accessStage: Middleware<RouteContext> = (ctx, next) => {
  const { request, services } = ctx;
  const policy = ctx.policy!;
  const inputTokens = estimateInputTokens(ctx.messages, request.tools);
  const needs = requiredCapabilities(ctx);
  const forced = ctx.strategy === 'force_model' ? (request.forceModel ?? policy.model) : undefined;

  if (ctx.strategy === 'force_model' && forced === undefined) {
    throw new RouterError(
      'invalid_request',
      `tenant '${ctx.tenant}' uses strategy 'force_model' but neither the request's forceModel nor the policy's model names a model`,
      { tenant: ctx.tenant, requestId: ctx.requestId },
    );
  }
  if (forced !== undefined && !services.catalog.has(forced)) {
    throw new RouterError(
      'invalid_request',
      `forceModel '${forced}' is not in the model catalog: use a built-in id or add it with createRouter({ models })`,
      { tenant: ctx.tenant, requestId: ctx.requestId },
    );
  }

  for (const model of services.catalog.values()) {
    const policyReason = policyExclusion(model, policy, request);
    if (policyReason !== undefined) {
      if (model.id === forced) {
        throw new RouterError('policy_denied', `tenant '${ctx.tenant}' may not use model '${forced}': ${policyReason}`, {
          tenant: ctx.tenant,
          requestId: ctx.requestId,
        });
      }
      ctx.excluded.push({ model: model.id, reason: policyReason });
      continue;
    }
    const maxTokens = request.maxTokens ?? Math.min(model.maxOutputTokens, services.defaultMaxTokens);
    const fitReason = fitExclusion(model, needs, inputTokens, maxTokens);
    if (fitReason !== undefined) {
      ctx.excluded.push({ model: model.id, reason: fitReason });
      continue;
    }
    ctx.candidates.push({ model, inputTokens, maxTokens, estCostUsd: estimateCostUsd(model, inputTokens, maxTokens) });
  }
  return next();
};

function policyExclusion(model: ResolvedModel, policy: EffectivePolicy, request: ChatRequest): string | undefined {
  if (policy.denies?.(model.id)) return 'listed in deniedModels';
  if (policy.allows && !policy.allows(model.id)) return 'not in allowedModels';
  if (request.role !== undefined) {
    const roleAllows = policy.roleAllows.get(request.role);
    if (roleAllows && !roleAllows(model.id)) {
      return `role '${request.role}' allows only: ${policy.roles?.[request.role]?.allowedModels.join(', ')}`;
    }
  }
  if (policy.allowedRegions && !(model.region !== undefined && policy.allowedRegions.includes(model.region))) {
    return `region '${model.region ?? 'unknown'}' is not in allowedRegions (${policy.allowedRegions.join(', ')})`;
  }
  return undefined;
}

function fitExclusion(
  model: ResolvedModel,
  needs: readonly ('tools' | 'vision' | 'json')[],
  inputTokens: number,
  maxTokens: number,
): string | undefined {
  for (const capability of needs) {
    if (!model.capabilities.has(capability)) return `does not support ${capability}`;
  }
  if (maxTokens > model.maxOutputTokens) return `maxTokens ${maxTokens} is above its max output of ${model.maxOutputTokens}`;
  const likelyInput = Math.ceil(inputTokens / CONTEXT_BYTES_PER_TOKEN);
  if (likelyInput + maxTokens > model.contextWindow) {
    return `context window ${model.contextWindow} is too small for ~${likelyInput} input + ${maxTokens} output tokens`;
  }
  return undefined;
}

function requiredCapabilities(ctx: RouteContext): ('tools' | 'vision' | 'json')[] {
  const needs: ('tools' | 'vision' | 'json')[] = [];
  if (ctx.request.tools && ctx.request.tools.length > 0) needs.push('tools');
  if (hasImages(ctx.messages)) needs.push('vision');
  const format = ctx.request.responseFormat?.type;
  if (format === 'json' || format === 'json_schema') needs.push('json');
  return needs;
}
