/**
 * Audit sink and usage report: every call's audit record, hash-chained, appended as a JSON
 * line to a file; the file read back and its chain verified; then a per-tenant usage
 * report from the metrics collector.
 *
 *   npx tsx examples/audit-sink.ts
 *
 * Runs offline on the built-in provider emulator.
 */
import { once } from 'node:events';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditRecord, createMetrics, createRouter, RouterError, verifyAuditChain } from 'routeplane';
import { createEmulator } from 'routeplane/testing';

// Until `createMetrics` is exported by 'routeplane':

const emulator = await createEmulator({ latencyMs: 5, perTokenMs: 1 });
const router = createRouter({
  providers: emulator.providers,
  tenants: {
    acme: { strategy: 'force_model', model: 'claude-sonnet-5-5', fallbacks: ['mistral-large-latest'] },
    globex: { strategy: 'lowest_cost', cache: { ttlMs: 60_000 } },
    initech: { strategy: 'balanced', maxCostPerRequest: 0.02 },
  },
  retry: { retries: 0 },
  // Each tenant's records get `prevHash` and `hash`: a chain that shows any edit, drop or reorder.
  audit: { chain: true },
});

// The sink: one JSON line per call. The listener runs synchronously in the call's path,
// so it only hands the line to the stream's buffer.
const path = join(tmpdir(), `routeplane-audit-${process.pid}.jsonl`);
const sink = createWriteStream(path, { flags: 'w' });
router.on('audit', (record) => sink.write(`${JSON.stringify(record)}\n`));
const metrics = createMetrics(router);

const ask = (tenant: string, content: string, extra: { maxCost?: number } = {}) =>
  router
    .complete({ tenant, user: 'demo-user', messages: [{ role: 'user', content }], ...extra })
    .catch((e) => {
      if (RouterError.isInstance(e)) return e;
      throw e;
    });

for (const tenant of ['acme', 'globex', 'initech'])
  for (const prompt of ['Summarize a mutual NDA in three bullets.', 'Name three colors.'])
    await ask(tenant, prompt);
await ask('globex', 'Name three colors.'); // answered from globex's cache
emulator.fail('claude-sonnet-5-5', { status: 529 });
await ask('acme', 'Draft a polite reminder email.'); // falls back to Mistral
emulator.fail('claude-sonnet-5-5', { status: 529 });
emulator.fail('mistral-large-latest', { status: 500 });
await ask('acme', 'Draft a polite reminder email.'); // both fail: providers_exhausted
await ask('initech', 'Write a haiku.', { maxCost: 1e-9 }); // denied: no model fits the cap
const stream = router.stream({ tenant: 'globex', messages: [{ role: 'user', content: 'Say hello.' }] });
for await (const _ of stream);

sink.end();
await once(sink, 'finish');

// Read the file back and verify the chain; then show that an edit is caught.
const records = readFileSync(path, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as AuditRecord);
const verdict = verifyAuditChain(records);
console.log(`audit: ${records.length} records in ${path}`);
console.log(`chain: ${verdict.ok ? 'intact' : `broken at record ${verdict.index}: ${verdict.reason}`}`);
const tampered = records.map((r, i) => (i === 2 ? { ...r, costUsd: 0 } : r));
const caught = verifyAuditChain(tampered);
console.log(
  `with record 2's cost edited: ${caught.ok ? 'not detected (!)' : `broken at record ${caught.index}: ${caught.reason}`}`,
);
rmSync(path, { force: true });

// The per-tenant usage report.
const { tenants } = metrics.snapshot();
const ms = (v: number) => `${Math.round(v)}`;
printTable(
  [
    'tenant',
    'calls',
    'ok/failed/denied',
    'errors',
    'fallbacks',
    'cache hits',
    'tokens in/out',
    'spend',
    'p50/p95/p99 ms',
  ],
  tenants
    .sort((a, b) => a.tenant.localeCompare(b.tenant))
    .map((t) => [
      t.tenant,
      String(t.requests),
      `${t.successes}/${t.failures}/${t.denials}`,
      Object.entries(t.errors)
        .map(([code, n]) => `${code}×${n}`)
        .join(' ') || '-',
      String(t.fallbacks),
      `${t.cacheHits} (${(t.cacheHitRate * 100).toFixed(0)}%)`,
      `${t.inputTokens}/${t.outputTokens}`,
      `$${t.spendUsd.toFixed(6)}`,
      `${ms(t.latencyMs.p50)}/${ms(t.latencyMs.p95)}/${ms(t.latencyMs.p99)}`,
    ]),
);
console.log('(p95/p99 include the first calls, which wait for the provider SDKs to load: once per process)');

metrics.close();
await router.close();
await emulator.close();
if (!verdict.ok || caught.ok) process.exitCode = 1;

function printTable(header: string[], body: string[][]): void {
  console.log();
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(line(row));
}
