import type { BudgetSpec } from '../../pipeline/policy.js';

/** The budget period an instant falls in: its id (part of the store key) and when it ends. */
export interface Period {
  id: string;
  /** Epoch ms; Infinity for `total`. */
  endsAt: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The current period of each kind, remembered: every call asks, and the answer changes once
 * a period. One per budget stage.
 */
export class Periods {
  private readonly last = new Map<BudgetSpec['period'], Period & { startsAt: number }>();

  of(period: BudgetSpec['period'], now: number): Period {
    const hit = this.last.get(period);
    if (hit && now >= hit.startsAt && now < hit.endsAt) return hit;
    const computed = periodOf(period, now);
    this.last.set(period, computed);
    return computed;
  }
}

/** UTC calendar periods; weeks start on Monday (ISO 8601). */
export function periodOf(period: BudgetSpec['period'], now: number): Period & { startsAt: number } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  const iso = (t: number) => new Date(t).toISOString();
  switch (period) {
    case 'hour': {
      const start = Date.UTC(y, m, day, d.getUTCHours());
      return { id: iso(start).slice(0, 13), startsAt: start, endsAt: start + HOUR };
    }
    case 'day': {
      const start = Date.UTC(y, m, day);
      return { id: iso(start).slice(0, 10), startsAt: start, endsAt: start + DAY };
    }
    case 'week': {
      const sinceMonday = (d.getUTCDay() + 6) % 7;
      const start = Date.UTC(y, m, day - sinceMonday);
      return { id: `W${iso(start).slice(0, 10)}`, startsAt: start, endsAt: start + 7 * DAY };
    }
    case 'month': {
      const start = Date.UTC(y, m, 1);
      return { id: iso(start).slice(0, 7), startsAt: start, endsAt: Date.UTC(y, m + 1, 1) };
    }
    case 'total':
      return { id: 'total', startsAt: Number.NEGATIVE_INFINITY, endsAt: Number.POSITIVE_INFINITY };
  }
}
