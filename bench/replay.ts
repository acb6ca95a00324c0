/**
 * Replay throughput and memory: generates a JSONL audit log of N records (default
 * 1,000,000: 200 tenants, 5,000 users, a week of traffic, five models) in os.tmpdir(),
 * then replays it the way `routeplane replay` does (read line by line, `replayAudit`
 * against a proposed policy with budgets and rate limits) and prints records per second,
 * the file size, and the peak heap and RSS sampled every 50 ms during the replay. Nothing
 * is asserted: numbers depend on the machine.
 *
 *   npx tsx bench/replay.ts [records]
 */
import { once } from 'node:events';
import { createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAuditLog } from '../src/cli/jsonl.js';
import type { AuditRecord } from '../src/events/types.js';
import { replayAudit } from '../src/replay/index.js';
import { createRouter } from '../src/router.js';

const N = Number(process.argv[2] ?? 1_000_000);
const TENANTS = 200;
const USERS = 5_000;
const WEEK = 7 * 24 * 3_600_000;
const MODELS = [
  ['claude-sonnet-5-5', 'anthropic'],
  ['gpt-6.2-sol', 'openai'],
  ['gpt-6-luna', 'openai'],
  ['mistral-large-latest', 'mistral'],
  ['claude-haiku-5-5', 'anthropic'],
] as const;

const path = join(tmpdir(), `routeplane-bench-replay-${process.pid}.jsonl`);
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

const generated = performance.now();
const out = createWriteStream(path);
const t0 = Date.UTC(2026, 10, 16);
for (let i = 0; i < N; i++) {
  const [model, provider] = MODELS[i % MODELS.length]!;
  const input = 200 + Math.floor(random() * 4_000);
  const output = 50 + Math.floor(random() * 800);
  const record: AuditRecord = {
    requestId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    timestamp: t0 + Math.floor((i / N) * WEEK),
    tenant: `tenant-${i % TENANTS}`,
    user: `user-${i % USERS}`,
    tags: { feature: i % 3 === 0 ? 'chat' : 'search' },
    outcome: 'success',
    strategy: 'force_model',
    model,
    provider,
    deployment: provider,
    region: provider === 'mistral' ? 'eu' : 'us',
    usage: { inputTokens: input, outputTokens: output, totalTokens: input + output },
    costUsd: (input * 2 + output * 10) / 1e6,
    latencyMs: 400 + random() * 2_000,
    cached: false,
    attempts: [{ model, provider, ok: true, latencyMs: 400 } as never],
    fallbacks: [],
    finishReason: 'stop',
    stream: i % 2 === 0,
    features: { inputTokens: input * 4, maxTokensSent: 1_024 },
  };
  if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
}
out.end();
await once(out, 'finish');
const log = await openAuditLog(path);
console.log(
  `generated ${N.toLocaleString('en-US')} records (${(log.size / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - generated) / 1000).toFixed(1)} s`,
);

// The proposed policy: every tenant on lowest_cost, half of them denying a model, a quarter
// with a daily budget, a fifth with a rate limit.
const tenants: Record<string, object> = {};
for (let i = 0; i < TENANTS; i++) {
  tenants[`tenant-${i}`] = {
    strategy: 'lowest_cost',
    ...(i % 2 === 0 && { deniedModels: ['gpt-6.2-sol'] }),
    ...(i % 4 === 0 && { budget: { limitUsd: 0.2, period: 'day' } }),
    ...(i % 5 === 0 && { rateLimit: { requestsPerMinute: 2 } }),
  };
}
const router = createRouter({
  providers: {
    openai: { apiKey: 'unused' },
    anthropic: { apiKey: 'unused' },
    mistral: { apiKey: 'unused' },
  },
  tenants,
});

global.gc?.();
const base = process.memoryUsage();
let peakHeap = base.heapUsed;
let peakRss = base.rss;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  if (m.rss > peakRss) peakRss = m.rss;
}, 50);
const started = performance.now();
const report = await replayAudit(log.records, router);
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
await router.close();
rmSync(path, { force: true });

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
console.log(
  `replayed ${report.calls.toLocaleString('en-US')} records in ${seconds.toFixed(1)} s: ${Math.round(report.calls / seconds).toLocaleString('en-US')} records/s`,
);
console.log(
  `memory: heap ${mib(base.heapUsed)} before, peak ${mib(peakHeap)}; RSS ${mib(base.rss)} before, peak ${mib(peakRss)}`,
);
console.log(
  `report: $${report.baselineCostUsd.toFixed(2)} → $${report.proposedCostUsd.toFixed(2)}, ${report.modelChanges.toLocaleString('en-US')} model changes, new denials ${report.newDenials.map((d) => `${d.code}×${d.calls}`).join(' ')}`,
);
