/**
 * A stage or custom middleware: does its part, calls `next()` at most once to run the rest
 * of the pipeline, and may act after it returns (onion order, as in Koa and Hono).
 */
export type Middleware<C> = (ctx: C, next: () => Promise<void>) => Promise<void> | void;

/** Where a run of the pipeline got to: the index of the last middleware it entered. */
export interface PipelineTrace {
  reached: number;
}

/**
 * Composes middleware into one function. A middleware that calls `next()` twice gets a
 * rejected promise; one that does not call it ends the pipeline there, and `trace.reached`
 * says which one that was (the caller decides whether ending there was right).
 */
export function compose<C>(
  middleware: readonly Middleware<C>[],
): (ctx: C, trace?: PipelineTrace) => Promise<void> {
  const last = middleware.length;
  return (ctx, trace) => {
    let called = -1;
    const dispatch = (i: number): Promise<void> => {
      if (i <= called)
        return Promise.reject(new Error('routeplane: next() called more than once in one middleware'));
      called = i;
      if (trace) trace.reached = i;
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
