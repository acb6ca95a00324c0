import type { RouterServices } from '../../pipeline/context.js';
import type { BudgetLine, Lease } from '../../store/types.js';

/** How long a call may keep renewing its reservation: past it, the lease lapses on its own. */
export const MAX_LEASE_LIFETIME_MS = 6 * 3_600_000;

/** A lease being renewed: a node of the list of those in flight. */
export interface Held {
  readonly services: RouterServices;
  readonly lines: readonly BudgetLine[];
  readonly lease: Lease;
  readonly since: number;
  prev: Held | undefined;
  next: Held | undefined;
  /** False once deleted: deleting again does nothing. */
  listed: boolean;
}

/**
 * The leases of one router's calls in flight, renewed every `leaseMs / 2` by one shared
 * timer (unref'd, running only while there is a lease), so a call longer than a lease keeps
 * its reservation and a call costs no timer of its own. A renewal that fails is not
 * retried: the next tick renews again, and the store reports the failure (`store.error`).
 */
export class LeaseRenewals {
  // A doubly linked list, not a Map by lease id: a call adds and deletes its lease, and a
  // Map of ever-new keys rehashes every few operations.
  private head: Held | undefined;
  private tail: Held | undefined;
  private size = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly leaseMs: number) {}

  /** Renews `lease` until it is deleted (or for `MAX_LEASE_LIFETIME_MS`); the handle deletes it. */
  add(services: RouterServices, lines: readonly BudgetLine[], lease: Lease): Held {
    const held: Held = {
      services,
      lines,
      lease,
      since: services.now(),
      prev: this.tail,
      next: undefined,
      listed: true,
    };
    if (this.tail) this.tail.next = held;
    else this.head = held;
    this.tail = held;
    this.size++;
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), Math.max(50, this.leaseMs / 2));
      this.timer.unref?.();
    }
    return held;
  }

  delete(held: Held): void {
    if (!held.listed) return;
    held.listed = false;
    if (held.prev) held.prev.next = held.next;
    else this.head = held.next;
    if (held.next) held.next.prev = held.prev;
    else this.tail = held.prev;
    held.prev = held.next = undefined;
    this.size--;
  }

  private tick(): void {
    if (this.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    for (let h = this.head; h !== undefined; ) {
      const next = h.next;
      const now = h.services.now();
      if (now - h.since > MAX_LEASE_LIFETIME_MS) this.delete(h);
      else h.services.store.renew(h.lines, h.lease, now).catch(() => {});
      h = next;
    }
  }
}
