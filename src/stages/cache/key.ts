import { hash } from 'node:crypto';
import type { RouteContext } from '../../pipeline/context.js';

/**
 * Everything that changes a call's answer except its messages:
 *
 * - `tenant`: the tenant the call is accounted to (after `resolveTenant`): no answer is
 *   ever shared between tenants.
 * - `policyFingerprint`: a digest of the effective policy, so any policy change (the tenant's,
 *   its tier's or the defaults') invalidates the tenant's entries: allowed models, system
 *   prompt, strategy, split, default response format…; the same on every instance, so a
 *   shared cache (`Store.answers`) is shared (a per-process version number would not be).
 * - the request's `strategy`, `forceModel`, `maxCost` and `role`: they change which model
 *   may answer.
 * - the request's `user`: traffic splits are sticky per (tenant, user), so two users of one
 *   tenant may be routed to different models; and `{{user}}` may be in the system prompt.
 *   Users of one tenant therefore never share entries.
 * - `maxTokens`, `temperature`, `tools`, `toolChoice`, the response format in force
 *   (`ctx.responseFormat`: the request's, else the tenant's default), and `reasoning`.
 *
 * An embed call (`router.embed()`) has a tuple of its own, tagged `'embed'`: the tenant,
 * the policy fingerprint, `strategy`, `forceModel`, `maxCost`, `role`, `user` and
 * `dimensions`; its texts are its messages.
 *
 * Not in it: `tags`, `signal`, `timeoutMs` (they do not change the answer), and `vars`
 * (they only reach the model through the system prompt, which is in the messages).
 *
 * A positional tuple: the order is fixed here, so no key sorting is needed, and
 * `JSON.stringify` turns an `undefined` item into `null` (absent and undefined are the same).
 */
function scopeTuple(ctx: RouteContext): unknown[] {
  const { request } = ctx;
  // `router.embed()`: its own tuple (what changes its vectors), never equal to a chat call's.
  if (ctx.embed) {
    return [
      'embed',
      1,
      ctx.tenant,
      ctx.policy?.fingerprint,
      request.strategy,
      request.forceModel,
      request.maxCost,
      request.role,
      request.user,
      ctx.embed.dimensions,
    ];
  }
  return [
    2,
    ctx.tenant,
    ctx.policy?.fingerprint,
    request.strategy,
    request.forceModel,
    request.maxCost,
    request.role,
    request.user,
    request.maxTokens,
    request.temperature,
    request.tools,
    request.toolChoice,
    ctx.responseFormat,
    request.reasoning,
  ];
}

/**
 * The exact-match cache key of a call: SHA-256 (base64url, 43 characters) over the JSON of `scopeTuple(ctx)` and `ctx.messages` as they will be sent (after the input
 * guardrails and the tenant's system prompt). Plain `JSON.stringify` rather than
 * `canonicalJson`: it runs on every cached call, and it is exact — two different requests
 * never give the same string, so no answer can be served for another request. Messages and
 * tools come out of validation (or the router's own stages) with their keys in one order;
 * the same tool schema written with its keys in another order only misses the cache.
 */
export function cacheKey(ctx: RouteContext): string {
  const tuple = scopeTuple(ctx);
  tuple.push(ctx.messages);
  return sha256(JSON.stringify(tuple));
}

/** The key of everything but the messages: a semantic cache compares prompts only within one scope. */
export function scopeKey(ctx: RouteContext): string {
  return sha256(JSON.stringify(scopeTuple(ctx)));
}

/** One-shot `crypto.hash` (Node 20.12+): about half the time of `createHash().update().digest()`. */
function sha256(text: string): string {
  return hash('sha256', text, 'base64url');
}
