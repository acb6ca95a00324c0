/**
 * Policy what-if: record a day of traffic on the emulator to a JSONL audit log, then replay
 * it against a cheaper policy (no provider is called) and print what would change: cost,
 * models, and calls the new budget would deny. Then writes the timeline report of the log.
 *
 *   npx tsx examples/replay.ts
 *
 * The same from the command line, on any audit log:
 *
 *   npx routeplane replay audit.jsonl --config proposed.config.mjs [--json | --html replay.html]
 *
 * Runs offline on the built-in provider emulator.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type AuditRecord, createRouter, type RouterConfig } from 'routeplane';
import { formatReplayTable, replayAudit } from 'routeplane/replay';
import { renderReportFrom } from 'routeplane/report';
import { createEmulator } from 'routeplane/testing';

const emulator = await createEmulator({ latencyMs: 2, perTokenMs: 0 });

// Today's policy: acme is pinned to Claude Sonnet, globex takes the cheapest model of quality 0.85.
const today: RouterConfig = {
  providers: emulator.providers,
  tenants: {
    acme: { strategy: 'force_model', model: 'claude-sonnet-5-5' },
    globex: { strategy: 'lowest_cost', minQuality: 0.85 },
  },
};

// 1. Record: every call's audit record, one JSON line each (no prompt: `captureContent` is off).
const path = join(tmpdir(), `routeplane-replay-${process.pid}.jsonl`);
const sink = createWriteStream(path);
const router = createRouter(today);
router.on('audit', (record) => sink.write(`${JSON.stringify(record)}\n`));
const prompts = [
  'Summarize the main obligations in a standard mutual NDA in three bullet points.',
  'Write a one-line product description for a noise-cancelling headset.',
  'Translate "good morning" into French, German and Italian.',
];
for (let i = 0; i < 30; i++) {
  const tenant = i % 3 === 0 ? 'globex' : 'acme';
  await router.complete({
    tenant,
    user: `user-${i % 4}`,
    messages: [{ role: 'user', content: prompts[i % prompts.length]! }],
  });
}
sink.end();
await once(sink, 'finish');
await router.close();
const served = emulator.requests.length;

// 2. Replay against a cheaper policy: acme moves to the cheapest model of quality 0.8, and
// globex gets a small daily budget.
const proposed = createRouter({
  ...today,
  tenants: {
    acme: { strategy: 'lowest_cost', minQuality: 0.8 },
    globex: { strategy: 'lowest_cost', minQuality: 0.85, budget: { limitUsd: 0.016, period: 'day' } },
  },
});
const report = await replayAudit(readJsonl(path), proposed);
console.log(`replayed ${report.calls} calls from ${path}\n`);
console.log(formatReplayTable(report, { color: process.stdout.isTTY === true && !process.env.NO_COLOR }));
const denied = report.byTenant.flatMap((t) => t.changedCalls.filter((c) => c.code)).slice(0, 1);
for (const call of denied) console.log(`e.g. ${call.requestId}: ${call.code} (${call.reason})`);
console.log(`provider calls during the replay: ${emulator.requests.length - served}`);

// 3. The timeline report of the recorded traffic: one self-contained HTML file.
const html = join(tmpdir(), `routeplane-report-${process.pid}.html`);
writeFileSync(html, await renderReportFrom(readJsonl(path), { title: 'replay example' }));
console.log(`report: ${html} (open it in a browser)`);

await proposed.close();
await emulator.close();
rmSync(path, { force: true });

/** The records of a JSONL audit log, one line at a time. */
async function* readJsonl(file: string): AsyncGenerator<AuditRecord> {
  for await (const line of createInterface({ input: createReadStream(file) }))
    if (line.trim()) yield JSON.parse(line) as AuditRecord;
}
