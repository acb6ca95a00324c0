import { describe, expect, it } from 'vitest';
import { generateAuditRecords, HOSTILE_TENANT } from '../../test/support/audit-records.js';
import { hashRecord } from '../events/audit-chain.js';
import type { AuditRecord } from '../events/types.js';
import { MAX_POINTS, type ReportData, renderReport, renderReportFrom } from './index.js';
import { scriptJson } from './page.js';

const now = () => Date.UTC(2027, 0, 1);

/** The JSON the page carries. */
function dataOf(html: string): ReportData {
  const json = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!;
  return JSON.parse(json) as ReportData;
}

function* asyncOf<T>(items: Iterable<T>) {
  yield* items;
}

describe('renderReport', () => {
  it('keeps every series within MAX_POINTS buckets, however long the log', () => {
    const records = [...generateAuditRecords({ records: 20_000, spanMs: 400 * 24 * 3_600_000 })];
    const data = dataOf(renderReport(records, { now }));
    expect(data.points).toBeLessThanOrEqual(MAX_POINTS);
    expect(data.points).toBeGreaterThan(MAX_POINTS / 10);
    expect(data.bucketMs).toBe(24 * 3_600_000);
    for (const view of [data.all, ...data.tenants]) {
      expect(view.series.calls).toHaveLength(data.points);
      expect(view.series.latency[2]).toHaveLength(data.points);
    }
    expect(data.all.series.calls.reduce((n, v) => n + v, 0)).toBe(20_000);
  });

  it('doubles a bucketMs that would give more than MAX_POINTS buckets', () => {
    const records = [...generateAuditRecords({ records: 2000, spanMs: 2000 * 60_000 })];
    const data = dataOf(renderReport(records, { bucketMs: 60_000, now }));
    expect(data.bucketMs).toBe(240_000);
    expect(data.points).toBeLessThanOrEqual(MAX_POINTS);
  });

  it('resets the spend at each budget period and adds it up without a budget', () => {
    const records = [
      ...generateAuditRecords({ records: 3000, spanMs: 3 * 24 * 3_600_000, tenants: ['acme'] }),
    ];
    const data = dataOf(renderReport(records, { now, budgets: { acme: { limitUsd: 5, period: 'day' } } }));
    const acme = data.tenants[0]!;
    const day = (i: number) => Math.floor((data.start + i * data.bucketMs) / 86_400_000);
    const resets = acme.series.spend.filter(
      (v, i) => i > 0 && day(i) !== day(i - 1) && v < acme.series.spend[i - 1]!,
    );
    expect(resets).toHaveLength(2);
    expect(data.all.series.spend.at(-1)).toBeCloseTo(data.all.costUsd, 4);
  });

  it('reports an intact chain, a tampered record by position, and a log without hashes', async () => {
    const records = [...generateAuditRecords({ records: 500, chain: true })];
    const intact = renderReport(records, { now });
    expect(dataOf(intact).all.chain.status).toBe('ok');
    expect(await renderReportFrom(asyncOf(records), { now })).toBe(intact);

    const tampered = records.map((r) => ({ ...r }));
    tampered[123]!.costUsd += 1;
    for (const html of [renderReport(tampered, { now }), await renderReportFrom(tampered, { now })]) {
      const chain = dataOf(html).all.chain;
      expect(chain).toMatchObject({ status: 'broken', position: 124, requestId: 'req-123' });
    }

    const dropped = records.filter((_, i) => i !== 200);
    const tenant = records[200]!.tenant;
    for (const html of [renderReport(dropped, { now }), await renderReportFrom(dropped, { now })]) {
      const view = dataOf(html).tenants.find((t) => t.name === tenant)!;
      expect(view.chain.status).toBe('broken');
      expect(dataOf(html).tenants.filter((t) => t.chain.status === 'ok')).toHaveLength(2);
    }

    const plain = [...generateAuditRecords({ records: 50 })];
    expect(dataOf(renderReport(plain, { now })).all.chain.status).toBe('unchained');
  });

  it('verifies a stream whose records come out of chain order', async () => {
    const records = [...generateAuditRecords({ records: 300, chain: true, tenants: ['acme'] })];
    const shuffled = [...records];
    for (let i = 0; i + 1 < shuffled.length; i += 7)
      [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1]!, shuffled[i]!];
    expect(dataOf(await renderReportFrom(shuffled, { now })).all.chain.status).toBe('ok');
    expect(dataOf(renderReport(shuffled, { now })).all.chain.status).toBe('ok');
  });

  it('counts fallbacks from → to, and the model mix by calls and cost', () => {
    const base = {
      timestamp: 1,
      outcome: 'success',
      latencyMs: 5,
      cached: false,
      attempts: [],
      stream: false,
    };
    const records = [
      { ...base, requestId: 'a', tenant: 't', model: 'c', costUsd: 1, fallbacks: ['a', 'b'] },
      { ...base, requestId: 'b', tenant: 't', model: 'c', costUsd: 3, fallbacks: ['a'] },
      { ...base, requestId: 'c', tenant: 't', model: 'a', costUsd: 0, fallbacks: [] },
    ] as AuditRecord[];
    const view = dataOf(renderReport(records, { now })).tenants[0]!;
    expect(view.fallbacks).toEqual([
      ['a', 'b', 1],
      ['b', 'c', 1],
      ['a', 'c', 1],
    ]);
    expect(view.models).toEqual([
      ['c', 2, 4],
      ['a', 1, 0],
    ]);
  });

  it('escapes record strings out of the markup: the title, and the JSON of the tenant ids', () => {
    const records = [...generateAuditRecords({ records: 30, tenants: [HOSTILE_TENANT] })];
    const html = renderReport(records, { title: HOSTILE_TENANT, now });
    expect(html).not.toContain('<img');
    const json = /id="report-data">(.*?)<\/script>/s.exec(html)![1]!;
    expect(json).not.toMatch(/[<\u2028\u2029]/);
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(dataOf(html).tenants[0]!.name).toBe(HOSTILE_TENANT);
    expect(scriptJson('</script><!--\u2028\u2029')).toBe('"\\u003c/script>\\u003c!--\\u2028\\u2029"');
  });

  it('allows only its own two scripts, by hash, and no fetch', () => {
    const html = renderReport([], { now });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
    expect(csp).toMatch(/^default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+'; /);
    expect(html).not.toMatch(/\b(src|href)=/);
    // Every record's hash stays verifiable: the report reads records and never changes them.
    const records = [...generateAuditRecords({ records: 10, chain: true })];
    renderReport(records, { now });
    expect(records.every((r) => hashRecord(r) === r.hash)).toBe(true);
  });
});
