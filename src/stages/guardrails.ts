import type { Middleware } from '../pipeline/compose.js';
import type { RouteContext } from '../pipeline/context.js';

/** Placeholder: passes the call on. */
export const guardrailsStage: Middleware<RouteContext> = (_ctx, next) => next();
