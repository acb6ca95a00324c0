import { LinkedAbort } from './linked-abort.js';
import { systemTimers, type Timers } from './timers.js';

/**
 * A deadline under a parent signal: its `signal` aborts when the parent does, or after
 * `ms` with the reason `expired(owner, ms)` builds then (no reason is built for a deadline
 * that does not pass).
 *
 * The signal is made when it is first read, not before: an `AbortSignal` costs about as
 * much as the rest of an attempt on Node 20 (it changes an object's prototype), and an
 * attempt whose provider never reads its signal cannot be stopped by one anyway. A signal
 * read after the deadline passed is aborted already. Until it is read, the deadline holds
 * one timer and no listener on the parent; the timer callback is shared (no closure).
 */
export class Deadline<O = unknown> implements Disposable {
  #parent: AbortSignal | undefined;
  #controller: LinkedAbort | undefined;
  #timer: unknown;
  /** Set once the deadline passed: the reason, built then. */
  #passed: { reason: unknown } | undefined;
  readonly #timers: Timers;
  readonly #owner: O;
  readonly #ms: number;
  readonly #expired: (owner: O, ms: number) => unknown;
  /** With the system timers: the list the deadline waits in (see `DeadlineList`), and its place. */
  list: DeadlineList | undefined = undefined;
  prev: Deadline | undefined = undefined;
  next: Deadline | undefined = undefined;
  /** `performance.now()` when it passes (with the system timers). */
  at = 0;

  constructor(
    parent: AbortSignal | undefined,
    ms: number,
    owner: O,
    expired: (owner: O, ms: number) => unknown,
    timers: Timers = systemTimers,
  ) {
    this.#parent = parent;
    this.#timers = timers;
    this.#owner = owner;
    this.#ms = ms;
    this.#expired = expired;
    if (parent?.aborted) return;
    if (timers === systemTimers) DeadlineList.of(ms).add(this as Deadline);
    else this.#timer = timers.setTimeout(() => pass(this), ms);
  }

  /** The deadline's signal (made now if it was not read before). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const passed = this.#passed;
      this.#controller = new LinkedAbort(passed === undefined ? this.#parent : undefined);
      if (passed !== undefined) this.#controller.abort(passed.reason);
    }
    return this.#controller.signal;
  }

  /** The deadline passed: build its reason and abort the signal, if one was made. */
  expire(): void {
    this.#timer = undefined;
    this.list = undefined;
    if (this.#passed !== undefined) return;
    const reason = this.#expired(this.#owner, this.#ms);
    this.#passed = { reason };
    const controller = this.#controller;
    this.#parent = undefined;
    if (controller !== undefined) {
      controller.dispose();
      controller.abort(reason);
    }
  }

  /** Drops the deadline; the link to the parent stays. Idempotent. */
  clear(): void {
    this.list?.remove(this as Deadline);
    if (this.#timer === undefined) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Drops the deadline and the link to the parent. Idempotent. */
  dispose(): void {
    this.clear();
    this.#parent = undefined;
    this.#controller?.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

function pass(deadline: { expire(): void }): void {
  deadline.expire();
}

/**
 * The deadlines of one duration under the system timers, in the order they pass (they were
 * set in that order): a linked list with one unref'd `setTimeout` for its head, so a
 * deadline costs no timer of its own (Node's `setTimeout` allocates one, links it and
 * counts it in the event loop's references, and `clearTimeout` undoes all that). The timer
 * stays set when the deadlines it waits for are cleared; when it fires, it passes the
 * deadlines due and sets itself again for the next, if any.
 */
class DeadlineList {
  static readonly #lists = new Map<number, DeadlineList>();

  static of(ms: number): DeadlineList {
    let list = DeadlineList.#lists.get(ms);
    if (list === undefined) {
      list = new DeadlineList(ms);
      DeadlineList.#lists.set(ms, list);
    }
    return list;
  }

  #head: Deadline | undefined = undefined;
  #tail: Deadline | undefined = undefined;
  /** `performance.now()` when the timer fires; undefined when none is set. */
  #wakeAt: number | undefined = undefined;

  private constructor(readonly ms: number) {}

  add(deadline: Deadline): void {
    deadline.at = performance.now() + this.ms;
    deadline.list = this;
    deadline.prev = this.#tail;
    deadline.next = undefined;
    if (this.#tail === undefined) this.#head = deadline;
    else this.#tail.next = deadline;
    this.#tail = deadline;
    if (this.#wakeAt === undefined) this.#arm(this.ms);
  }

  remove(deadline: Deadline): void {
    const { prev, next } = deadline;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    deadline.prev = deadline.next = deadline.list = undefined;
  }

  #arm(ms: number): void {
    this.#wakeAt = performance.now() + ms;
    setTimeout(DeadlineList.#fire, ms, this).unref();
  }

  static #fire(list: DeadlineList): void {
    list.#wakeAt = undefined;
    const now = performance.now();
    // Timers may fire up to a millisecond early by this clock.
    for (let d = list.#head; d !== undefined && d.at <= now + 1; d = list.#head) {
      list.remove(d);
      d.expire();
    }
    if (list.#head !== undefined) list.#arm(Math.max(1, Math.ceil(list.#head.at - now)));
  }
}
