import { RouterError } from '../errors.js';

/**
 * A single-consumer async queue: the producer pushes as parts arrive, the consumer pulls
 * with `for await`. Ending with an error makes the consumer throw after the buffered parts.
 * A second iteration throws `invalid_request`.
 */
export class PartQueue<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private failWaiting: ((error: unknown) => void) | undefined;
  private ended = false;
  private error: unknown;
  private consumed = false;

  constructor(private readonly onCancel: () => void) {}

  push(value: T): void {
    if (this.ended) return;
    const resolve = this.waiting;
    if (resolve) {
      this.waiting = this.failWaiting = undefined;
      resolve({ value, done: false });
    } else this.buffer.push(value);
  }

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    const resolve = this.waiting;
    const reject = this.failWaiting;
    this.waiting = this.failWaiting = undefined;
    if (error !== undefined) reject?.(error);
    else resolve?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.consumed) {
      throw new RouterError(
        'invalid_request',
        'a stream can be iterated once, and this one already was: keep the parts as they arrive, or read the whole answer from stream.result',
      );
    }
    this.consumed = true;
    return {
      next: () => {
        if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false });
        if (this.ended) {
          if (this.error !== undefined) {
            const error = this.error;
            this.error = undefined;
            return Promise.reject(error);
          }
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => {
          this.waiting = resolve;
          this.failWaiting = reject;
        });
      },
      return: () => {
        // The consumer stopped early (break, throw): cancel the call upstream.
        if (!this.ended) this.onCancel();
        this.buffer.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
