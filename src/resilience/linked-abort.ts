/**
 * A child of an abort signal: it aborts, with the parent's reason, when the parent does
 * (at once if the parent already has), and it can also be aborted on its own without
 * touching the parent. `dispose()` unlinks it from the parent, so a parent that outlives
 * many children (a call's signal, with one child per attempt) keeps no listener of theirs.
 *
 * The child is its own listener (`handleEvent`): linking allocates no closure.
 *
 * @example
 * ```ts
 * using attempt = new LinkedAbort(call.signal);
 * await fetch(url, { signal: attempt.signal });
 * ```
 */
export class LinkedAbort extends AbortController implements Disposable {
  #parent: AbortSignal | undefined;

  constructor(parent: AbortSignal | undefined) {
    super();
    if (parent === undefined) return;
    if (parent.aborted) this.abort(parent.reason);
    else {
      this.#parent = parent;
      parent.addEventListener('abort', this, { once: true });
    }
  }

  /** The parent aborted: abort with its reason. */
  handleEvent(): void {
    const parent = this.#parent;
    this.#parent = undefined;
    this.abort(parent?.reason);
  }

  /** Unlinks from the parent; idempotent. The child keeps its own state (aborted or not). */
  dispose(): void {
    const parent = this.#parent;
    if (parent === undefined) return;
    this.#parent = undefined;
    parent.removeEventListener('abort', this);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
