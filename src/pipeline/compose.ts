/**
 * A stage or custom middleware: does its part, calls `next()` at most once to run the rest
 * of the pipeline, and may act after it returns (onion order, as in Koa and Hono).
 */
export type Middleware<C> = (ctx: C, next: () => Promise<void>) => Promise<void> | void;

/**
 * Composes middleware into one function. A middleware that calls `next()` twice gets a
 * rejected promise; one that does not call it ends the pipeline there.
 */
export function compose<C>(middleware: readonly Middleware<C>[]): (ctx: C) => Promise<void> {
  const last = middleware.length;
  return (ctx) => {
    let called = -1;
    const dispatch = (i: number): Promise<void> => {
      if (i <= called)
        return Promise.reject(new Error('routeplane: next() called more than once in one middleware'));
      called = i;
      if (i === last) return Promise.resolve();
      try {
        const out = middleware[i]!(ctx, () => dispatch(i + 1));
        return out instanceof Promise ? out : Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return dispatch(0);
  };
}
