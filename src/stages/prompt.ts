import { RouterError } from '../errors.js';
import type { Middleware } from '../pipeline/compose.js';
import type { RouteContext } from '../pipeline/context.js';

/**
 * Puts the tenant's system prompt, rendered from its template, before the caller's
 * messages (not for `router.embed()`, whose messages are the texts to embed). A placeholder the call leaves without a value (`{{user}}` with no `user`,
 * `{{vars.NAME}}` with no `vars.NAME`) is `invalid_request` naming it.
 */
export const promptStage: Middleware<RouteContext> = (ctx, next) => {
  const render = ctx.policy?.systemPrompt;
  // A system prompt would be embedded as one more text: embed calls go without it. A
  // replayed call's recorded input bound already counts the system prompt it was sent with.
  if (render && ctx.mode !== 'embed' && ctx.replay === undefined) {
    const { request } = ctx;
    const rendered = render({ tenant: ctx.tenant, user: request.user, vars: request.vars });
    if ('missing' in rendered) {
      throw new RouterError(
        'invalid_request',
        `tenant '${ctx.tenant}' system prompt needs ${rendered.missing}: pass ${rendered.missing === 'user' ? 'user' : `vars: { ${rendered.missing.slice(5)}: '…' }`} in the request`,
        { tenant: ctx.tenant, requestId: ctx.requestId },
      );
    }
    ctx.messages = [{ role: 'system', content: rendered.text }, ...ctx.messages];
  }
  return next();
};
