/**
 * The per-tenant timeline report: one self-contained HTML page drawn from audit records.
 *
 * @module routeplane/report
 */
import type { AuditRecord } from '../events/types.js';
import { ReportAggregator, type ReportBudget } from './aggregate.js';
import { StreamingChainCheck, verifyChains } from './chain.js';
import { renderPage } from './page.js';

export type { ReportBudget, ReportData, TenantView } from './aggregate.js';
export { MAX_POINTS } from './aggregate.js';
export type { ChainStatus } from './chain.js';
export { MAX_OUT_OF_ORDER } from './chain.js';

/** Options of `renderReport` and `renderReportFrom`. */
export interface ReportOptions {
  /** The page's title and heading. Default `'routeplane report'`. */
  title?: string;
  /**
   * The width of a time bucket, in ms. Default: the smallest of 1 s, 2 s, 10 s, 30 s, 1 min,
   * 2 min, 10 min, 30 min, 1 h, 2 h, 6 h, 12 h, 1 d, 7 d, 28 d that keeps the log within
   * `MAX_POINTS` (500) buckets. A width that would give more is doubled until it does not.
   */
  bucketMs?: number;
  /**
   * Each tenant's budget (a tenant policy's `budget` fits as is): the spend chart then
   * shows the spend since the start of each period against the limit. The records do not
   * carry the limit, so it is never guessed: a tenant without one (and "All tenants") gets
   * the cumulative spend over the log and no line.
   */
  budgets?: Readonly<Record<string, ReportBudget>>;
  /** The clock for the "generated" line. Default `Date.now`. */
  now?: () => number;
}

/**
 * Renders audit records as one self-contained HTML page: no network request, no CDN (uPlot,
 * MIT, is inlined: about 53 KB), a Content-Security-Policy that allows neither. A tenant
 * picker (all tenants, or each) switches every figure: spend over time against the budget
 * line, calls and denials and failures by code over time, latency and time-to-first-token
 * percentiles (p50, p95, p99, within 5%) over time, the cache hit rate over time, the model
 * mix (share of calls and of cost), fallbacks (from → to, calls), and the audit-chain status
 * (`verifyAuditChain` over each tenant's records: intact, broken at which record and why,
 * or not chained).
 *
 * Size bound: records fall into at most `MAX_POINTS` (500) time buckets, the same for every
 * tenant, so each series of each tenant has at most 500 points whatever the log's length;
 * the page grows with tenants × 500 × 13 series, plus the distinct models and fallback pairs.
 *
 * Record-derived strings (tenant ids, model names, error codes) are data, never markup: the
 * page puts them in the DOM as text.
 *
 * @example
 * ```ts
 * import { renderReport } from 'routeplane/report';
 * const records: AuditRecord[] = [];
 * router.on('audit', (r) => records.push(r));
 * // … later
 * await writeFile('report.html', renderReport(records, {
 *   title: 'Last week',
 *   budgets: { acme: { limitUsd: 50, period: 'day' } },
 * }));
 * ```
 */
export function renderReport(records: readonly AuditRecord[], options: ReportOptions = {}): string {
  const aggregator = new ReportAggregator(options.bucketMs);
  for (const record of records) aggregator.add(record);
  return finish(aggregator, verifyChains(records), options);
}

/**
 * `renderReport` for a stream of records (a large JSONL file read line by line, say), in
 * memory bounded by the tenants, not the records: at most 500 buckets per tenant (each at
 * most two histograms of 160 counters), the distinct models and fallback pairs, and for the
 * chain check each tenant's head and up to `MAX_OUT_OF_ORDER` records that come before the
 * record they follow. The chain check follows each tenant's records in the stream's order:
 * a tenant with more records out of order than that is reported `unverified`, and a chain
 * must start at genesis within the stream.
 *
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * import { createInterface } from 'node:readline';
 * async function* read(path: string) {
 *   for await (const line of createInterface({ input: createReadStream(path) }))
 *     if (line.trim()) yield JSON.parse(line) as AuditRecord;
 * }
 * const html = await renderReportFrom(read('audit.jsonl'));
 * ```
 */
export async function renderReportFrom(
  records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  options: ReportOptions = {},
): Promise<string> {
  const aggregator = new ReportAggregator(options.bucketMs);
  const chain = new StreamingChainCheck();
  let position = 0;
  for await (const record of records) {
    aggregator.add(record);
    chain.add(record, ++position);
  }
  return finish(aggregator, chain.result(), options);
}

function finish(
  aggregator: ReportAggregator,
  chains: ReturnType<typeof verifyChains>,
  options: ReportOptions,
): string {
  const now = (options.now ?? Date.now)();
  const data = aggregator.finish(options.title ?? 'routeplane report', now, options.budgets ?? {}, chains);
  return renderPage(data);
}
