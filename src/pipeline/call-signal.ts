import { RouterError } from '../errors.js';
import type { ChatRequest } from '../types.js';

/**
 * The call's own signal: aborts with a `RouterError` — `aborted` when the caller's signal
 * (or the stream's consumer) aborts, `timeout` at the deadline. Undefined when the call has
 * neither, so a plain call allocates nothing.
 */
export function callSignal(
  request: ChatRequest,
  requestId: string,
  controller: AbortController | undefined,
): { signal: AbortSignal; dispose: () => void } | undefined {
  const { signal: callerSignal, timeoutMs } = request;
  if (!controller && !callerSignal && timeoutMs === undefined) return undefined;
  const own = controller ?? new AbortController();
  const onAbort = () =>
    own.abort(
      new RouterError('aborted', 'the call was aborted by its signal', { tenant: request.tenant, requestId }),
    );
  if (callerSignal?.aborted) onAbort();
  else callerSignal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            own.abort(
              new RouterError('timeout', `the call passed its deadline of ${timeoutMs} ms (timeoutMs)`, {
                tenant: request.tenant,
                requestId,
              }),
            ),
          timeoutMs,
        );
  return {
    signal: own.signal,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onAbort);
    },
  };
}
