/**
 * The report on a large log: render time, page size, and the time Chromium takes to draw it.
 *
 *   npx tsx bench/report.ts [--records 1000000] [--tenants 20]
 *
 * Generates chained audit records in memory (test/support/audit-records.ts: a week of
 * traffic, tenants with 1/k shares, 6% denied, 2% failed, 20% cached), renders them with
 * renderReport (the array: verifyAuditChain per tenant) and renderReportFrom (a stream of the
 * same records, in bounded memory), writes the page to os.tmpdir(), opens it in Chromium
 * (/usr/bin/chromium or CHROMIUM_PATH) from a file:// URL and times navigation to charts drawn.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { renderReport, renderReportFrom } from '../src/report/index.js';
import { generateAuditRecords } from '../test/support/audit-records.js';

const { values } = parseArgs({
  options: { records: { type: 'string', default: '1000000' }, tenants: { type: 'string', default: '20' } },
});
const N = Number(values.records);
const tenants = Array.from(
  { length: Number(values.tenants) },
  (_, i) => `tenant-${String(i + 1).padStart(2, '0')}`,
);

let t = performance.now();
const records = [...generateAuditRecords({ records: N, tenants, chain: true })];
console.log(
  `generated ${N.toLocaleString('en')} chained records in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);

t = performance.now();
const html = renderReport(records, { title: `${N.toLocaleString('en')} records` });
const renderMs = performance.now() - t;
t = performance.now();
const streamed = await renderReportFrom(records, { title: `${N.toLocaleString('en')} records` });
const streamMs = performance.now() - t;
const file = join(tmpdir(), 'routeplane-report-bench.html');
writeFileSync(file, html);
const kb = (s: string) => `${(Buffer.byteLength(s) / 1024).toFixed(0)} KB`;
console.log(`renderReport:     ${(renderMs / 1000).toFixed(2)} s, ${kb(html)} (uPlot ~52 KB of it)`);
console.log(`renderReportFrom: ${(streamMs / 1000).toFixed(2)} s, ${kb(streamed)}`);
const data = JSON.parse(/id="report-data">(.*?)<\/script>/s.exec(html)![1]!);
console.log(`buckets: ${data.points} of ${data.bucketMs / 60_000} min; chain: ${data.all.chain.status}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const times: number[] = [];
const drawn: number[] = [];
for (let run = 0; run < 5; run++) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const start = performance.now();
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => document.querySelectorAll('.uplot canvas').length === 5);
  times.push(performance.now() - start);
  drawn.push(
    await page.evaluate(
      () => (window as unknown as { routeplaneReport: { drawnAt: number } }).routeplaneReport.drawnAt,
    ),
  );
  await page.close();
}
await browser.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `Chromium: navigation to 5 charts drawn, median of 5: ${median(times).toFixed(0)} ms (in-page, navigation start to drawn: ${median(drawn).toFixed(0)} ms)`,
);
