import type { AuditRecord } from '../events/types.js';
import { LogHistogram } from '../observability/histogram.js';
import type { BudgetSpec } from '../pipeline/policy.js';
import { periodOf } from '../stages/budget/period.js';
import type { ChainStatus } from './chain.js';

/** The most time buckets, so points per series, in a report. */
export const MAX_POINTS = 500;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Bucket widths tried in turn: each a multiple of the one before, so buckets merge exactly. */
const LADDER = [
  SECOND,
  2 * SECOND,
  10 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  10 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  7 * DAY,
  28 * DAY,
];
const PERIOD_MS: Record<BudgetSpec['period'], number> = {
  hour: HOUR,
  day: DAY,
  week: 7 * DAY,
  month: 28 * DAY,
  total: Number.POSITIVE_INFINITY,
};
/** Percentiles within 5% (relative) of the true ones, in at most 160 counters of 8 bytes. */
const histogram = () => new LogHistogram(0.05, 160, 0.5);

/** A tenant's budget, as the report draws it: `BudgetSpec`'s limit and period. */
export type ReportBudget = Pick<BudgetSpec, 'limitUsd' | 'period'>;

interface Bucket {
  calls: number;
  success: number;
  cached: number;
  costUsd: number;
  codes: Map<string, number> | undefined;
  latency: LogHistogram | undefined;
  ttft: LogHistogram | undefined;
}

class Series {
  buckets = new Map<number, Bucket>();
  calls = 0;
  success = 0;
  denied = 0;
  failed = 0;
  cached = 0;
  costUsd = 0;
  readonly codes = new Map<string, number>();
  readonly fallbacks = new Map<string, number>();
  readonly models = new Map<string, { calls: number; costUsd: number }>();

  constructor(readonly name: string) {}

  add(record: AuditRecord, key: number): void {
    let b = this.buckets.get(key);
    if (!b) {
      b = {
        calls: 0,
        success: 0,
        cached: 0,
        costUsd: 0,
        codes: undefined,
        latency: undefined,
        ttft: undefined,
      };
      this.buckets.set(key, b);
    }
    const cost = Number.isFinite(record.costUsd) ? record.costUsd : 0;
    b.calls++;
    b.costUsd += cost;
    this.calls++;
    this.costUsd += cost;
    if (record.outcome === 'success') {
      b.success++;
      this.success++;
      if (record.cached) {
        b.cached++;
        this.cached++;
      }
      if (Number.isFinite(record.latencyMs)) {
        b.latency ??= histogram();
        b.latency.record(record.latencyMs);
      }
      if (record.ttftMs !== undefined) {
        b.ttft ??= histogram();
        b.ttft.record(record.ttftMs);
      }
    } else {
      if (record.outcome === 'denied') this.denied++;
      else this.failed++;
      const code = String(record.errorCode ?? record.outcome);
      b.codes ??= new Map();
      b.codes.set(code, (b.codes.get(code) ?? 0) + 1);
      this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    }
    if (record.model !== undefined) {
      const m = this.models.get(record.model);
      if (m) {
        m.calls++;
        m.costUsd += cost;
      } else this.models.set(record.model, { calls: 1, costUsd: cost });
    }
    const fallbacks = record.fallbacks;
    if (fallbacks !== undefined && fallbacks.length > 0) {
      for (let i = 0; i < fallbacks.length; i++) {
        const to = fallbacks[i + 1] ?? record.model ?? '(none: the call failed)';
        const pair = `${fallbacks[i]}\u0000${to}`;
        this.fallbacks.set(pair, (this.fallbacks.get(pair) ?? 0) + 1);
      }
    }
  }

  /** Merges buckets `factor` at a time (the width grew by `factor`). */
  coarsen(factor: number): void {
    const merged = new Map<number, Bucket>();
    for (const [key, b] of this.buckets) {
      const k = Math.floor(key / factor);
      const into = merged.get(k);
      if (!into) {
        merged.set(k, b);
        continue;
      }
      into.calls += b.calls;
      into.success += b.success;
      into.cached += b.cached;
      into.costUsd += b.costUsd;
      if (b.codes) {
        into.codes ??= new Map();
        for (const [code, n] of b.codes) into.codes.set(code, (into.codes.get(code) ?? 0) + n);
      }
      into.latency = mergeInto(into.latency, b.latency);
      into.ttft = mergeInto(into.ttft, b.ttft);
    }
    this.buckets = merged;
  }
}

/** What the page draws for one tenant, or for all of them. */
export interface TenantView {
  name: string;
  calls: number;
  success: number;
  denied: number;
  failed: number;
  cached: number;
  costUsd: number;
  /** Calls by error code (denied and failed calls). */
  codes: Record<string, number>;
  budget: ReportBudget | undefined;
  /** True when a bucket is as long as the budget period or longer (the line then says less). */
  coarseBudget: boolean;
  chain: ChainStatus | { status: 'mixed'; records: number; reason: string };
  /** [from, to, calls], most calls first. */
  fallbacks: [string, string, number][];
  /** [model, calls, costUsd], most calls first. */
  models: [string, number, number][];
  /** One value per bucket each. */
  series: {
    /** Spend since the start of the bucket's budget period (of the log, without a budget), USD. */
    spend: number[];
    calls: number[];
    codes: Record<string, number[]>;
    /** p50, p95, p99 in ms; null for a bucket without a successful call. */
    latency: [(number | null)[], (number | null)[], (number | null)[]];
    ttft: [(number | null)[], (number | null)[], (number | null)[]];
    /** Cached share of successful calls, 0..1; null without one. */
    cacheRate: (number | null)[];
  };
}

/** The report's data, as the page reads it from its JSON. */
export interface ReportData {
  title: string;
  generatedAt: number;
  records: number;
  /** Width of a bucket, ms, and the start of the first one (epoch ms). */
  bucketMs: number;
  start: number;
  /** Buckets, ≤ MAX_POINTS. */
  points: number;
  maxPoints: number;
  all: TenantView;
  tenants: TenantView[];
}

/**
 * Folds audit records into time buckets per tenant and for all, in memory bounded by
 * tenants × `MAX_POINTS` buckets (each at most two histograms of 160 counters) plus the
 * distinct models and fallback pairs: when the log spans more than `MAX_POINTS` buckets,
 * the width grows to the next of 1 s, 2 s, 10 s, 30 s, 1 min, 2 min, 10 min, 30 min, 1 h,
 * 2 h, 6 h, 12 h, 1 d, 7 d, 28 d (or `bucketMs` × 2ⁿ) and buckets merge.
 */
export class ReportAggregator {
  private widthIndex = 0;
  private width: number;
  private minKey = Number.POSITIVE_INFINITY;
  private maxKey = Number.NEGATIVE_INFINITY;
  private readonly all = new Series('All tenants');
  private readonly tenants = new Map<string, Series>();
  records = 0;

  constructor(private readonly bucketMs?: number) {
    if (bucketMs !== undefined && !(Number.isFinite(bucketMs) && bucketMs >= 1))
      throw new RangeError(`bucketMs must be a number of milliseconds ≥ 1, not ${bucketMs}`);
    this.width = bucketMs ?? LADDER[0]!;
  }

  add(record: AuditRecord): void {
    const t = record.timestamp;
    if (!Number.isFinite(t)) return;
    this.records++;
    let key = Math.floor(t / this.width);
    if (key < this.minKey || key > this.maxKey) {
      this.minKey = Math.min(this.minKey, key);
      this.maxKey = Math.max(this.maxKey, key);
      if (this.maxKey - this.minKey + 1 > MAX_POINTS) {
        this.grow();
        key = Math.floor(t / this.width);
      }
    }
    this.all.add(record, key);
    let series = this.tenants.get(record.tenant);
    if (!series) {
      series = new Series(record.tenant);
      this.tenants.set(record.tenant, series);
    }
    series.add(record, key);
  }

  finish(
    title: string,
    now: number,
    budgets: Readonly<Record<string, ReportBudget>>,
    chains: ReadonlyMap<string, ChainStatus>,
  ): ReportData {
    const empty = this.records === 0;
    const points = empty ? 0 : this.maxKey - this.minKey + 1;
    const start = empty ? now : this.minKey * this.width;
    const view = (s: Series, budget: ReportBudget | undefined, chain: TenantView['chain']) =>
      this.view(s, points, budget, chain);
    const tenants = [...this.tenants.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((s) => view(s, Object.hasOwn(budgets, s.name) ? budgets[s.name] : undefined, chainOf(chains, s)));
    return {
      title,
      generatedAt: now,
      records: this.records,
      bucketMs: this.width,
      start,
      points,
      maxPoints: MAX_POINTS,
      all: view(this.all, undefined, overallChain(tenants)),
      tenants,
    };
  }

  private grow(): void {
    while (this.maxKey - this.minKey + 1 > MAX_POINTS) {
      const next =
        this.bucketMs !== undefined ? this.width * 2 : (LADDER[++this.widthIndex] ?? this.width * 2);
      const factor = next / this.width;
      this.width = next;
      this.minKey = Math.floor(this.minKey / factor);
      this.maxKey = Math.floor(this.maxKey / factor);
      this.all.coarsen(factor);
      for (const s of this.tenants.values()) s.coarsen(factor);
    }
  }

  private view(
    s: Series,
    points: number,
    budget: ReportBudget | undefined,
    chain: TenantView['chain'],
  ): TenantView {
    const spend: number[] = new Array(points);
    const calls: number[] = new Array(points);
    const codes: Record<string, number[]> = {};
    for (const code of s.codes.keys()) codes[code] = new Array(points).fill(0);
    const latency: TenantView['series']['latency'] = [
      new Array(points),
      new Array(points),
      new Array(points),
    ];
    const ttft: TenantView['series']['ttft'] = [new Array(points), new Array(points), new Array(points)];
    const cacheRate: (number | null)[] = new Array(points);
    let cumulative = 0;
    let periodStart = Number.NaN;
    for (let i = 0; i < points; i++) {
      const at = (this.minKey + i) * this.width;
      if (budget && budget.period !== 'total') {
        const started = periodOf(budget.period, at).startsAt;
        if (started !== periodStart) cumulative = 0;
        periodStart = started;
      }
      const b = s.buckets.get(this.minKey + i);
      cumulative += b?.costUsd ?? 0;
      spend[i] = round(cumulative, 6);
      calls[i] = b?.calls ?? 0;
      if (b?.codes) for (const [code, n] of b.codes) codes[code]![i] = n;
      quantiles(b?.latency, latency, i);
      quantiles(b?.ttft, ttft, i);
      cacheRate[i] = b && b.success > 0 ? round(b.cached / b.success, 4) : null;
    }
    return {
      name: s.name,
      calls: s.calls,
      success: s.success,
      denied: s.denied,
      failed: s.failed,
      cached: s.cached,
      costUsd: round(s.costUsd, 6),
      codes: Object.fromEntries([...s.codes].sort((a, b) => b[1] - a[1])),
      budget: budget && { limitUsd: budget.limitUsd, period: budget.period },
      coarseBudget: budget !== undefined && this.width >= PERIOD_MS[budget.period],
      chain,
      fallbacks: [...s.fallbacks]
        .map(([pair, n]): [string, string, number] => {
          const [from, to] = pair.split('\u0000') as [string, string];
          return [from, to, n];
        })
        .sort((a, b) => b[2] - a[2]),
      models: [...s.models]
        .map(([model, m]): [string, number, number] => [model, m.calls, round(m.costUsd, 6)])
        .sort((a, b) => b[1] - a[1]),
      series: { spend, calls, codes, latency, ttft, cacheRate },
    };
  }
}

function mergeInto(into: LogHistogram | undefined, from: LogHistogram | undefined) {
  if (!into || !from) return into ?? from;
  into.merge(from);
  return into;
}

function quantiles(h: LogHistogram | undefined, into: (number | null)[][], i: number): void {
  into[0]![i] = h ? round(h.quantile(0.5), 1) : null;
  into[1]![i] = h ? round(h.quantile(0.95), 1) : null;
  into[2]![i] = h ? round(h.quantile(0.99), 1) : null;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function chainOf(chains: ReadonlyMap<string, ChainStatus>, s: Series): ChainStatus {
  return chains.get(s.name) ?? { status: 'unchained', records: s.calls };
}

/** All tenants: the first broken or unverified chain, else ok, unchained, or mixed. */
function overallChain(tenants: readonly TenantView[]): TenantView['chain'] {
  const records = tenants.reduce((n, t) => n + t.chain.records, 0);
  const broken = tenants
    .map((t) => t.chain)
    .filter((c): c is Extract<ChainStatus, { status: 'broken' }> => c.status === 'broken')
    .sort((a, b) => a.position - b.position)[0];
  if (broken) return { ...broken, records };
  const unverified = tenants.find((t) => t.chain.status === 'unverified');
  if (unverified) return { ...(unverified.chain as ChainStatus), records };
  const unchained = tenants.filter((t) => t.chain.status === 'unchained').length;
  if (unchained === 0) return { status: 'ok', records };
  if (unchained === tenants.length) return { status: 'unchained', records };
  return {
    status: 'mixed',
    records,
    reason: `${tenants.length - unchained} tenant(s) chained and intact, ${unchained} not chained`,
  };
}
