import { redactSecrets } from '../errors.js';
import type { RouterServices } from './context.js';

/** How the router retries a settlement the store refused after the provider answered. */
export interface SettleRetryOptions {
  /** Retries after the first failure. */
  retries: number;
  /** Delay before the first retry; doubles each time up to `maxDelayMs`. */
  minDelayMs: number;
  maxDelayMs: number;
  /** How long `router.close()` keeps retrying what is still pending. */
  closeWaitMs: number;
}

/** One settlement to apply to the store: a budget settle or a rate-limit adjustment. */
export interface Settlement {
  kind: 'budget' | 'rateLimit';
  /** The store key (budget or rate key); never a secret. */
  key: string;
  tenant: string;
  requestId: string;
  /** Budget: the call's cost in USD. */
  amountUsd?: number;
  /** Rate limit: the tokens given back (negative) or charged (positive). */
  tokens?: number;
  /** Applies it; idempotent where the store allows (budget settles carry a settlement id). */
  apply(): Promise<unknown>;
  /** After a retry applied it. */
  onSettled?(): void;
}

interface Pending {
  settlement: Settlement;
  /** Failures so far (the first attempt included). */
  failures: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  running: Promise<void> | undefined;
}

/**
 * The router's journal of settlements the store refused after the provider answered. The
 * answer is returned whatever happens here: the first attempt runs inline, and a failure
 * is kept in memory and retried in the background with exponential backoff (`retries`
 * times, from `minDelayMs` to `maxDelayMs`). Every failure is reported as `store.error`
 * with what could not be settled; `router.close()` retries what is pending for up to
 * `closeWaitMs`, then reports what it gives up (`gaveUp: true`); at most `MAX_PENDING`
 * wait (beyond, the oldest is given up and reported). In memory only: a process
 * that dies with settlements pending loses them (their reservations expire with the store's
 * leases or keys, and the audit records say `settled: false`).
 */
export class SettlementJournal {
  /** At most this many settlements wait; beyond it the oldest is given up (and reported). */
  static readonly MAX_PENDING = 10_000;
  private readonly pending = new Set<Pending>();

  constructor(
    private readonly emit: RouterServices['emit'],
    private readonly now: () => number,
    private readonly options: SettleRetryOptions,
  ) {}

  /** Settlements not applied yet. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Applies `settlement` once; on failure, journals it for retries and reports it. Resolves
   * true when it was applied now, false when it was journaled. Never rejects.
   */
  async settle(settlement: Settlement): Promise<boolean> {
    try {
      await settlement.apply();
      return true;
    } catch (error) {
      const entry: Pending = { settlement, failures: 1, timer: undefined, running: undefined };
      if (this.pending.size >= SettlementJournal.MAX_PENDING) this.giveUpOldest();
      this.pending.add(entry);
      this.report(entry, error, false);
      this.schedule(entry);
      return false;
    }
  }

  /** Retries every pending settlement at once and on, until none is left or `closeWaitMs` passed. */
  async drain(): Promise<void> {
    const deadline = Date.now() + this.options.closeWaitMs;
    while (this.pending.size > 0) {
      const round = [...this.pending].map((entry) => {
        if (entry.timer !== undefined) clearTimeout(entry.timer);
        entry.timer = undefined;
        return entry.running ?? this.retry(entry, false);
      });
      await Promise.all(round);
      const left = deadline - Date.now();
      if (this.pending.size === 0 || left <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, this.options.minDelayMs)));
    }
    for (const entry of this.pending) {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      this.report(entry, new Error('the router closed before the store accepted it'), true);
    }
    this.pending.clear();
  }

  /** A long outage: the oldest pending settlement is dropped, so the journal stays bounded. */
  private giveUpOldest(): void {
    const oldest = this.pending.values().next().value;
    if (oldest === undefined) return;
    this.pending.delete(oldest);
    if (oldest.timer !== undefined) clearTimeout(oldest.timer);
    this.report(oldest, new Error(`more than ${SettlementJournal.MAX_PENDING} settlements pending`), true);
  }

  private schedule(entry: Pending): void {
    if (entry.failures > this.options.retries) {
      this.pending.delete(entry);
      this.report(entry, new Error(`gave up after ${entry.failures} attempts`), true);
      return;
    }
    const delay = Math.min(this.options.maxDelayMs, this.options.minDelayMs * 2 ** (entry.failures - 1));
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void this.retry(entry, true);
    }, delay);
    entry.timer.unref?.();
  }

  private retry(entry: Pending, reschedule: boolean): Promise<void> {
    const run = (async () => {
      try {
        await entry.settlement.apply();
        this.pending.delete(entry);
        try {
          entry.settlement.onSettled?.();
        } catch {
          // A waiter's wake-up is best effort.
        }
      } catch (error) {
        entry.failures++;
        if (!this.pending.has(entry)) return;
        this.report(entry, error, false);
        if (reschedule) this.schedule(entry);
      } finally {
        entry.running = undefined;
      }
    })();
    entry.running = run;
    return run;
  }

  private report(entry: Pending, error: unknown, gaveUp: boolean): void {
    const { settlement } = entry;
    const message = redactSecrets(error instanceof Error ? error.message : String(error));
    this.emit('store.error', () => ({
      timestamp: this.now(),
      message: `settlement of '${settlement.key}' ${gaveUp ? 'abandoned' : 'failed'}: ${message}`,
      failOpen: false,
      tenant: settlement.tenant,
      requestId: settlement.requestId,
      unsettled: {
        kind: settlement.kind,
        key: settlement.key,
        ...(settlement.amountUsd !== undefined && { amountUsd: settlement.amountUsd }),
        ...(settlement.tokens !== undefined && { tokens: settlement.tokens }),
        attempts: entry.failures,
        gaveUp,
      },
    }));
  }
}
