import { createHash } from 'node:crypto';
import type { RouteContext } from '../pipeline/context.js';

/**
 * Canonical JSON: object keys sorted, `undefined` fields left out (so an absent field and an
 * `undefined` one are the same), `undefined` array items and non-finite numbers as `null`.
 * Two values that mean the same request serialize to the same string.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const fields = Object.keys(value as Record<string, unknown>)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${fields.join(',')}}`;
  }
  return 'null';
}

/**
 * Everything that changes a call's answer except its messages:
 *
 * - `tenant`: the tenant the call is accounted to (after `resolveTenant`): no answer is
 *   ever shared between tenants.
 * - `policyVersion`: the effective policy's version, so any policy change (the tenant's, its
 *   tier's or the defaults') invalidates the tenant's entries: allowed models, system
 *   prompt, strategy, split, default response format…
 * - the request's `strategy`, `forceModel`, `maxCost` and `role`: they change which model
 *   may answer.
 * - the request's `user`: traffic splits are sticky per (tenant, user), so two users of one
 *   tenant may be routed to different models; and `{{user}}` may be in the system prompt.
 *   Users of one tenant therefore never share entries.
 * - `maxTokens`, `temperature`, `tools`, `toolChoice`, and the response format in force
 *   (`ctx.responseFormat`: the request's, else the tenant's default).
 *
 * Not in it: `tags`, `signal`, `timeoutMs` (they do not change the answer), and `vars`
 * (they only reach the model through the system prompt, which is in the messages).
 */
export function scopeInputs(ctx: RouteContext): Record<string, unknown> {
  const { request } = ctx;
  return {
    v: 1,
    tenant: ctx.tenant,
    policyVersion: ctx.policy?.version,
    strategy: request.strategy,
    forceModel: request.forceModel,
    maxCost: request.maxCost,
    role: request.role,
    user: request.user,
    maxTokens: request.maxTokens,
    temperature: request.temperature,
    tools: request.tools,
    toolChoice: request.toolChoice,
    responseFormat: ctx.responseFormat,
  };
}

/**
 * The exact-match cache key of a call: SHA-256 (hex) over the canonical JSON of
 * `scopeInputs(ctx)` plus `ctx.messages` as they will be sent (after the input guardrails
 * and the tenant's system prompt).
 */
export function cacheKey(ctx: RouteContext): string {
  return sha256(canonicalJson({ ...scopeInputs(ctx), messages: ctx.messages }));
}

/** The key of everything but the messages: a semantic cache compares prompts only within one scope. */
export function scopeKey(ctx: RouteContext): string {
  return sha256(canonicalJson(scopeInputs(ctx)));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
