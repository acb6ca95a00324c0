import type { RouteDecision } from '../events/types.js';
import type { ProviderResponse } from '../providers/types.js';
import type { Attempt, ChatRequest, Message, StrategyName } from '../types.js';
import type { TenantPolicy } from './policy.js';

/**
 * What a custom middleware may keep on a call, by name. Empty here: declare your own keys
 * by module augmentation, as Hono's `ContextVariableMap`, and `ctx.locals` is typed:
 *
 * @example
 * ```ts
 * declare module 'routeplane' {
 *   interface ContextLocals { traceId: string }
 * }
 * const tracing: Middleware<MiddlewareContext> = async (ctx, next) => {
 *   ctx.locals.traceId = crypto.randomUUID();
 *   await next();
 * };
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by users through module augmentation.
export interface ContextLocals {}

/** The tenant's effective policy as a middleware sees it: defaults ← tier ← tenant, merged. */
export type MiddlewarePolicy = Readonly<Omit<TenantPolicy, 'strategy' | 'systemPrompt'>> & {
  /** The strategy in force (`force_model` when the policy names a `model`, else `balanced` by default). */
  readonly strategy: StrategyName;
};

/**
 * A call as a custom middleware sees it: read-only what the router decided, writable the
 * messages that will be sent, and `locals` for the middleware's own state. Fields fill in as
 * the call passes the stages: `policy` after `tenant`, `decision` after `strategy`,
 * `attempts` and `response` after `execute`.
 *
 * @example
 * ```ts
 * createRouter({
 *   providers,
 *   middleware: [{
 *     after: 'tenant',
 *     handle: async (ctx, next) => {
 *       ctx.messages = [{ role: 'system', content: 'Be brief.' }, ...ctx.messages];
 *       await next();
 *     },
 *   }],
 * });
 * ```
 */
export interface MiddlewareContext {
  readonly requestId: string;
  /**
   * `explain` runs the stages up to the route decision and calls no provider. `embed` is a
   * `router.embed()` call: `messages` holds one user message per text (a middleware that
   * rewrites them must keep one per text, in order), and the vectors are not exposed here.
   */
  readonly mode: 'complete' | 'stream' | 'explain' | 'embed';
  readonly request: Readonly<ChatRequest>;
  /** The tenant the call is accounted to (after `resolveTenant`). */
  readonly tenant: string;
  readonly policy: MiddlewarePolicy | undefined;
  /** Aborts on the caller's signal and at the call's deadline; its reason is a `RouterError`. */
  readonly signal: AbortSignal | undefined;
  /** The messages that will be sent; input middleware may rewrite them. */
  messages: Message[];
  readonly decision: RouteDecision | undefined;
  readonly attempts: readonly Attempt[];
  /** The answer of a `complete` call, once `execute` has run. */
  readonly response: Readonly<ProviderResponse> | undefined;
  locals: Partial<ContextLocals> & Record<string, unknown>;
}
