import type { BudgetSpec, EffectivePolicy, RateLimitSpec } from '../pipeline/policy.js';
import { Periods } from '../stages/budget/period.js';
import { createMemoryStore } from '../store/memory.js';
import { toNano } from '../store/types.js';

/** Rate limits are per minute, as in the rate-limit stage. */
const WINDOW_MS = 60_000;

/** A budget a replayed call counts against, with the key of its running spend. */
interface Line {
  key: string;
  spec: BudgetSpec;
}

/** A line's spend in its current period, and in the one before (records come nearly in order). */
interface Spend {
  period: string;
  spent: number;
  previous: string | undefined;
  previousSpent: number;
}

/**
 * The tenants' budgets over a replayed timeline: spend per budget (tenant, user, tag) and
 * period, in nano-USD, as the records are replayed in order. A replay is sequential, so no
 * call is in flight beside another: a reservation fits or it does not. Memory: one entry per
 * budget line seen (tenant, each user with a user budget, each tag value with a tag budget).
 */
export class BudgetTimeline {
  private readonly spend = new Map<string, Spend>();
  private readonly periods = new Periods();

  /** The lines a call of this tenant, user and tags counts against under `policy`. */
  lines(
    tenant: string,
    policy: EffectivePolicy,
    user: string | undefined,
    tags: Record<string, string> | undefined,
  ): Line[] {
    const lines: Line[] = [];
    if (policy.budget) lines.push({ key: `${tenant}\0tenant`, spec: policy.budget });
    if (policy.userBudget && user !== undefined)
      lines.push({ key: `${tenant}\0user\0${user}`, spec: policy.userBudget });
    for (const [tag, spec] of Object.entries(policy.tagBudgets ?? {})) {
      const value = tags?.[tag];
      if (value !== undefined) lines.push({ key: `${tenant}\0tag\0${tag}=${value}`, spec });
    }
    return lines;
  }

  /** What is left (nano-USD) on the tightest line at `t`, and that line; undefined when uncapped. */
  room(lines: readonly Line[], t: number): { left: number; line: Line } | undefined {
    let tightest: { left: number; line: Line } | undefined;
    for (const line of lines) {
      const left = toNano(line.spec.limitUsd) - this.spent(line, t);
      if (tightest === undefined || left < tightest.left) tightest = { left, line };
    }
    return tightest;
  }

  /** Adds a settled call's cost to every line. */
  charge(lines: readonly Line[], t: number, nano: number): void {
    for (const line of lines) {
      const period = this.periods.of(line.spec.period, t).id;
      const entry = this.entry(line.key, period);
      if (entry.period === period) entry.spent += nano;
      else if (entry.previous === period) entry.previousSpent += nano;
    }
  }

  private spent(line: Line, t: number): number {
    const period = this.periods.of(line.spec.period, t).id;
    const entry = this.entry(line.key, period);
    return entry.period === period ? entry.spent : entry.previous === period ? entry.previousSpent : 0;
  }

  /** The line's entry, moved on to `period` when it is new (a late record of the last one keeps its own). */
  private entry(key: string, period: string): Spend {
    let entry = this.spend.get(key);
    if (entry === undefined) {
      entry = { period, spent: 0, previous: undefined, previousSpent: 0 };
      this.spend.set(key, entry);
    } else if (entry.period !== period && entry.previous !== period && period > entry.period) {
      entry.previous = entry.period;
      entry.previousSpent = entry.spent;
      entry.period = period;
      entry.spent = 0;
    }
    return entry;
  }
}

/**
 * The tenants' rate limits over a replayed timeline: the router's own GCRA (the memory
 * store's `rateTake`), on the records' clock. One pair of keys per tenant with a limit.
 */
export class RateTimeline {
  private readonly store = createMemoryStore({ now: () => this.t });
  private t = 0;

  /**
   * Takes one request and `tokens` at `t`, as the rate-limit stage does. Over a limit:
   * `onLimit: 'wait'` takes them at the later slot the call would have waited for and
   * returns `waited`; else `limited`.
   */
  async take(
    tenant: string,
    spec: RateLimitSpec,
    tokens: number,
    t: number,
  ): Promise<'ok' | 'waited' | 'limited'> {
    this.t = t;
    const rpm = spec.requestsPerMinute;
    const tpm = spec.tokensPerMinute;
    if (tpm !== undefined && tokens > tpm) return 'limited';
    const requests = `${tenant}\0requests`;
    const tokensKey = `${tenant}\0tokens`;
    let refused = false;
    if (rpm !== undefined) refused = !(await this.store.rateTake(requests, 1, rpm, WINDOW_MS, t)).ok;
    if (!refused && tpm !== undefined) {
      refused = !(await this.store.rateTake(tokensKey, tokens, tpm, WINDOW_MS, t)).ok;
      if (refused && rpm !== undefined) await this.store.rateAdjust(requests, -1, rpm, WINDOW_MS, t);
    }
    if (!refused) return 'ok';
    if (spec.onLimit !== 'wait') return 'limited';
    // The call waited for its slot: it holds the next one (a key with no state starts at t).
    if (rpm !== undefined) await this.forceTake(requests, 1, rpm, t);
    if (tpm !== undefined) await this.forceTake(tokensKey, tokens, tpm, t);
    return 'waited';
  }

  /** Settles a call's token estimate: `delta` tokens charged (positive) or given back (negative). */
  async adjust(tenant: string, spec: RateLimitSpec, delta: number, t: number): Promise<void> {
    if (spec.tokensPerMinute === undefined || delta === 0) return;
    this.t = t;
    await this.store.rateAdjust(`${tenant}\0tokens`, delta, spec.tokensPerMinute, WINDOW_MS, t);
  }

  private async forceTake(key: string, cost: number, limit: number, t: number): Promise<void> {
    const taken = await this.store.rateTake(key, cost, limit, WINDOW_MS, t);
    if (!taken.ok) await this.store.rateAdjust(key, cost, limit, WINDOW_MS, t);
  }
}
