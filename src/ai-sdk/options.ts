import { InvalidArgumentError } from '@ai-sdk/provider';
import { RouterError } from '../errors.js';
import type { StrategyName } from '../types.js';

/**
 * How calls through an `aiSdkModel()` are routed: the same fields as a `ChatRequest`'s
 * routing part. Set once on the model (`aiSdkModel(router, options)`) and, per call, in
 * `providerOptions.routeplane`, whose fields win (`tags` are merged, the call's winning
 * on a clash).
 */
export interface AiSdkRoutingOptions {
  /** The tenant the call is made for; its policy decides everything else. */
  tenant?: string;
  /** The end user, for the audit record, sticky splits and per-user budgets. */
  user?: string;
  /** The caller's role within the tenant; narrows the allowed models when the policy names it. */
  role?: string;
  /** Free-form labels copied into events and the audit record. */
  tags?: Record<string, string>;
  /** Overrides the tenant's strategy. */
  strategy?: StrategyName;
  /** Use this model (a catalog id); a model the tenant may not use is `policy_denied` (403). */
  forceModel?: string;
  /** The same as `forceModel` (the name the AI SDK's own providers use). */
  model?: string;
  /** Cap on the estimated cost of one model call, in USD; dearer candidates are dropped. */
  maxCost?: number;
  /** Values for `{{vars.NAME}}` in the tenant's system prompt template. */
  vars?: Record<string, string>;
  /** Deadline for the router's call, retries and fallbacks included, in ms. */
  timeoutMs?: number;
}

/** The options of `aiSdkModel()`: the tenant is required here or in every call's `providerOptions`. */
export interface AiSdkModelOptions extends AiSdkRoutingOptions {}

/** `providerOptions.routeplane` of one AI SDK call. */
export interface AiSdkCallOptions extends AiSdkRoutingOptions {}

const STRATEGIES: ReadonlySet<string> = new Set([
  'force_model',
  'lowest_cost',
  'balanced',
  'max_reliability',
]);
const STRING_FIELDS = ['tenant', 'user', 'role', 'forceModel', 'model'] as const;
const RECORD_FIELDS = ['tags', 'vars'] as const;
const KNOWN: ReadonlySet<string> = new Set([
  ...STRING_FIELDS,
  ...RECORD_FIELDS,
  'strategy',
  'maxCost',
  'timeoutMs',
]);

/**
 * Checks routing options field by field; returns the first problem as "FIELD must be …",
 * or undefined. Unknown fields are refused, so that a typo (`tennant`) is not silently
 * routed as the model's default tenant.
 */
function problemOf(value: unknown): { field: string; problem: string } | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { field: '', problem: 'must be an object' };
  const options = value as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key))
      return { field: `.${key}`, problem: `is not an option (known: ${[...KNOWN].join(', ')})` };
  }
  for (const key of STRING_FIELDS) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0))
      return { field: `.${key}`, problem: `must be a non-empty string (got ${describe(v)})` };
  }
  for (const key of RECORD_FIELDS) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      return { field: `.${key}`, problem: `must be an object of strings (got ${describe(v)})` };
    for (const [name, item] of Object.entries(v)) {
      if (typeof item !== 'string')
        return { field: `.${key}.${name}`, problem: `must be a string (got ${describe(item)})` };
    }
  }
  const { strategy, maxCost, timeoutMs } = options;
  if (strategy !== undefined && (typeof strategy !== 'string' || !STRATEGIES.has(strategy)))
    return {
      field: '.strategy',
      problem: `must be one of ${[...STRATEGIES].join(', ')} (got ${describe(strategy)})`,
    };
  if (maxCost !== undefined && (typeof maxCost !== 'number' || !Number.isFinite(maxCost) || maxCost < 0))
    return { field: '.maxCost', problem: `must be a finite number ≥ 0, in USD (got ${describe(maxCost)})` };
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== 'number' ||
      !Number.isInteger(timeoutMs) ||
      timeoutMs <= 0 ||
      timeoutMs > 2 ** 31 - 1)
  )
    return {
      field: '.timeoutMs',
      problem: `must be an integer of ms in 1..2^31-1 (got ${describe(timeoutMs)})`,
    };
  if (options.forceModel !== undefined && options.model !== undefined && options.forceModel !== options.model)
    return {
      field: '.model',
      problem: `and forceModel name different models ('${options.model}', '${options.forceModel}')`,
    };
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** Validates the options of `aiSdkModel()`; throws `invalid_config` naming the field. */
export function parseModelOptions(options: unknown): AiSdkModelOptions {
  const found = problemOf(options);
  if (found) throw new RouterError('invalid_config', `aiSdkModel: options${found.field} ${found.problem}`);
  return (options ?? {}) as AiSdkModelOptions;
}

/**
 * Validates `providerOptions.routeplane` of one call; throws the AI SDK's
 * `InvalidArgumentError` naming the field (`providerOptions.routeplane.strategy`), which
 * the AI SDK does not retry.
 */
export function parseCallOptions(options: unknown): AiSdkCallOptions | undefined {
  const found = problemOf(options);
  if (found) {
    const argument = `providerOptions.routeplane${found.field}`;
    throw new InvalidArgumentError({ argument, message: `routeplane: ${argument} ${found.problem}` });
  }
  return options as AiSdkCallOptions | undefined;
}
