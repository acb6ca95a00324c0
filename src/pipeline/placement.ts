import type { MiddlewareEntry } from '../config/router-config.js';
import type { Middleware } from './compose.js';
import { type RouteContext, STAGE_NAMES, type StageName } from './context.js';
import type { MiddlewareContext } from './middleware-context.js';

/** A middleware in its place, named for errors (a stage's name, or `middleware[i] (name)`). */
export interface PlacedMiddleware {
  name: string;
  /** True for the host's own middleware; false for a built-in stage. */
  custom: boolean;
  handle: Middleware<RouteContext>;
}

/** Orders the built-in stages and custom middleware by stage name, each with a name for errors. */
export function placeMiddleware(
  builtins: readonly (readonly [StageName, Middleware<RouteContext>])[],
  custom: readonly (Middleware<MiddlewareContext> | MiddlewareEntry)[],
): PlacedMiddleware[] {
  const rank = (stage: StageName) => STAGE_NAMES.indexOf(stage);
  // Each entry gets a position on the stage scale: built-ins at their rank, custom
  // middleware just before or after its named stage, in the order given.
  const placed: (PlacedMiddleware & { position: number; seq: number })[] = builtins.map(
    ([name, handle], seq) => ({
      position: rank(name),
      seq,
      name,
      custom: false,
      handle,
    }),
  );
  custom.forEach((entry, i) => {
    const seq = builtins.length + i;
    const handle = typeof entry === 'function' ? entry : entry.handle;
    // A bare function is known by its own name; an entry by its `name` (its `handle` is named "handle").
    const given = typeof entry === 'function' ? entry.name : entry.name;
    const name = given ? `middleware[${i}] (${given})` : `middleware[${i}]`;
    const position =
      typeof entry === 'function'
        ? rank('execute') - 0.5
        : entry.after !== undefined
          ? rank(entry.after) + 0.5
          : rank(entry.before ?? 'execute') - 0.5;
    placed.push({ position, seq, name, custom: true, handle });
  });
  return placed.sort((a, b) => a.position - b.position || a.seq - b.seq);
}
