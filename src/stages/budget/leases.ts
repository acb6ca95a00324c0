import type { RouterServices } from '../../pipeline/context.js';
import type { BudgetLine, Lease } from '../../store/types.js';

/** How long a call may keep renewing its reservation: past it, the lease lapses on its own. */
export const MAX_LEASE_LIFETIME_MS = 6 * 3_600_000;

interface Held {
  services: RouterServices;
  lines: readonly BudgetLine[];
  lease: Lease;
  since: number;
}

/**
 * The leases of one router's calls in flight, renewed every `leaseMs / 2` by one shared
 * timer (unref'd, running only while there is a lease), so a call longer than a lease keeps
 * its reservation and a call costs no timer of its own. A renewal that fails is not
 * retried: the next tick renews again, and the store reports the failure (`store.error`).
 */
export class LeaseRenewals {
  private readonly held = new Map<string, Held>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly leaseMs: number) {}

  add(services: RouterServices, lines: readonly BudgetLine[], lease: Lease): void {
    this.held.set(lease.id, { services, lines, lease, since: services.now() });
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), Math.max(50, this.leaseMs / 2));
      this.timer.unref?.();
    }
  }

  delete(id: string): void {
    this.held.delete(id);
  }

  private tick(): void {
    if (this.held.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    for (const [id, h] of this.held) {
      const now = h.services.now();
      if (now - h.since > MAX_LEASE_LIFETIME_MS) {
        this.held.delete(id);
        continue;
      }
      h.services.store.renew(h.lines, h.lease, now).catch(() => {});
    }
  }
}
