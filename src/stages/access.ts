import type { ModelCapability, ResolvedModel } from '../catalog/types.js';
import { RouterError } from '../errors.js';
import type { Middleware } from '../pipeline/compose.js';
import type { RouteContext } from '../pipeline/context.js';
import { requiredCapabilities } from '../pipeline/estimate.js';
import type { EffectivePolicy } from '../pipeline/policy.js';
import type { ChatRequest } from '../types.js';

/**
 * Narrows the catalog to the models this call may use, recording why each other model is
 * out: the policy's allow and deny lists, the caller's role, the tenant's regions, and a
 * capability the request needs (tools, vision, json, reasoning) that the model's declared list leaves
 * out (a model whose spec has no list is not restricted). A forced model the policy forbids
 * is `policy_denied`, never swapped for another.
 *
 * Embeddings: a `router.embed()` call may use only models that declare the `embeddings`
 * capability, whose vectors can have the `dimensions` asked, on deployments whose adapter
 * embeds; a chat call never uses a model that declares `embeddings` and nothing else. Size (context window, max output) and cost
 * are the strategy stage's: they depend on the final prompt, which later stages shape.
 */
export const accessStage: Middleware<RouteContext> = (ctx, next) => {
  const { request } = ctx;
  const policy = ctx.policy!;
  const needs = requiredCapabilities(ctx);
  const forced = ctx.strategy === 'force_model' ? (request.forceModel ?? policy.model) : undefined;

  if (
    request.forceModel !== undefined &&
    request.strategy !== undefined &&
    request.strategy !== 'force_model'
  ) {
    throw new RouterError(
      'invalid_request',
      `forceModel '${request.forceModel}' goes with strategy 'force_model' (or no strategy), not '${request.strategy}'`,
      { tenant: ctx.tenant, requestId: ctx.requestId },
    );
  }
  if (ctx.strategy === 'force_model' && forced === undefined) {
    throw new RouterError(
      'invalid_request',
      `tenant '${ctx.tenant}' uses strategy 'force_model' but neither the request's forceModel nor the policy's model names a model`,
      { tenant: ctx.tenant, requestId: ctx.requestId },
    );
  }
  if (forced !== undefined && !ctx.catalog.has(forced)) {
    throw new RouterError(
      'invalid_request',
      `forceModel '${forced}' is not in the model catalog: use a built-in id or add it with createRouter({ models })`,
      { tenant: ctx.tenant, requestId: ctx.requestId },
    );
  }

  for (const entry of ctx.catalog.values()) {
    // The deployments in the tenant's regions; the model is out when none is.
    const model = policy.allowedRegions ? servedIn(entry, policy.allowedRegions) : entry;
    const policyReason =
      policyExclusion(entry, policy, request) ??
      (model === undefined ? regionExclusion(entry, policy.allowedRegions!) : undefined);
    if (policyReason !== undefined || model === undefined) {
      if (entry.id === forced) {
        throw new RouterError(
          'policy_denied',
          `tenant '${ctx.tenant}' may not use model '${forced}': ${policyReason}`,
          {
            tenant: ctx.tenant,
            requestId: ctx.requestId,
          },
        );
      }
      ctx.excluded.push({ model: entry.id, reason: policyReason! });
      continue;
    }
    if (ctx.embed) {
      const served = embeddable(ctx, model);
      if (typeof served === 'string') ctx.excluded.push({ model: model.id, reason: served });
      else ctx.eligible.push(served);
      continue;
    }
    const declared = model.capabilities;
    if (declared && embeddingsOnly(declared)) {
      ctx.excluded.push({ model: model.id, reason: 'an embedding model: use router.embed()' });
      continue;
    }
    const missing = declared && needs.find((capability) => !declared.has(capability));
    if (missing !== undefined) ctx.excluded.push({ model: model.id, reason: `does not support ${missing}` });
    else ctx.eligible.push(model);
  }
  return next();
};

/** Declares `embeddings` and no chat capability: a model chat calls never go to. */
function embeddingsOnly(declared: ReadonlySet<ModelCapability>): boolean {
  if (!declared.has('embeddings')) return false;
  for (const capability of declared) if (capability !== 'embeddings') return false;
  return true;
}

/**
 * For `router.embed()`: the model as it can serve this call (only its deployments whose
 * adapter has `embed()`), or why it cannot: it does not declare `embeddings` (a model whose
 * capabilities are left out is not known to embed), no deployment's provider embeds, or it
 * cannot give vectors of the `dimensions` asked.
 */
function embeddable(ctx: RouteContext, model: ResolvedModel): ResolvedModel | string {
  if (!model.capabilities?.has('embeddings'))
    return 'not an embedding model (its capabilities do not list embeddings)';
  const dimensions = ctx.embed!.dimensions;
  const spec = model.embedding;
  if (dimensions !== undefined) {
    if (spec === undefined)
      return `its vector length is not declared (ModelSpec.embedding): dimensions ${dimensions} cannot be promised`;
    if (spec.customDimensions ? dimensions > spec.dimensions : dimensions !== spec.dimensions) {
      return spec.customDimensions
        ? `gives at most ${spec.dimensions} dimensions, not ${dimensions}`
        : `gives ${spec.dimensions} dimensions only, not ${dimensions}`;
    }
  }
  const { adapters } = ctx.services;
  const kept = model.deployments.filter((d) => adapters.get(d.provider)?.embed !== undefined);
  if (kept.length === model.deployments.length) return model;
  if (kept.length === 0) {
    const providers = [...new Set(model.deployments.map((d) => d.provider))].join(', ');
    return `provider ${providers} has no embeddings API in routeplane`;
  }
  return { ...kept[0]!, deployments: kept };
}

/** The model views with only the deployments in `regions`, by regions list then model. */
const inRegions = new WeakMap<readonly string[], WeakMap<ResolvedModel, ResolvedModel | null>>();

/**
 * The model as served in `regions`: itself when every deployment is there, a view with only
 * those deployments when some are (memoized per regions list, so a call allocates nothing),
 * undefined when none is.
 */
function servedIn(model: ResolvedModel, regions: readonly string[]): ResolvedModel | undefined {
  let memo = inRegions.get(regions);
  if (!memo) {
    memo = new WeakMap();
    inRegions.set(regions, memo);
  }
  let served = memo.get(model);
  if (served === undefined) {
    const kept = model.deployments.filter((d) => d.region !== undefined && regions.includes(d.region));
    served =
      kept.length === 0
        ? null
        : kept.length === model.deployments.length
          ? model
          : { ...kept[0]!, deployments: kept };
    memo.set(model, served);
  }
  return served ?? undefined;
}

function regionExclusion(model: ResolvedModel, regions: readonly string[]): string {
  const served = [...new Set(model.deployments.map((d) => d.region ?? 'unknown'))];
  return served.length === 1
    ? `region '${served[0]}' is not in allowedRegions (${regions.join(', ')})`
    : `regions ${served.map((r) => `'${r}'`).join(', ')} are not in allowedRegions (${regions.join(', ')})`;
}

function policyExclusion(
  model: ResolvedModel,
  policy: EffectivePolicy,
  request: ChatRequest,
): string | undefined {
  if (policy.denies?.(model.id)) return 'listed in deniedModels';
  if (policy.allows && !policy.allows(model.id)) return 'not in allowedModels';
  if (request.role !== undefined) {
    const roleAllows = policy.roleAllows.get(request.role);
    if (roleAllows && !roleAllows(model.id)) {
      return `role '${request.role}' allows only: ${policy.roles?.[request.role]?.allowedModels.join(', ')}`;
    }
  }
  return undefined;
}

/**
 * True for the reasons above that come from the tenant's policy (allow and deny lists, the
 * caller's role, regions): a model left out for one of them is one the tenant may not use
 * at all (naming it is `policy_denied`), where the other reasons depend on the request or
 * the moment. routeplane/http lists a tenant's models with it.
 */
export function isPolicyExclusion(reason: string): boolean {
  return (
    reason === 'listed in deniedModels' ||
    reason === 'not in allowedModels' ||
    reason.startsWith('role ') ||
    (reason.endsWith(')') && / not in allowedRegions \(/.test(reason))
  );
}
