/**
 * In-process overhead of router.complete(): the same in-memory provider adapter called
 * directly, through the minimal stack, and through the full default stack. Variants run
 * interleaved, in rounds, so a noisy neighbour on the machine hits them all alike; each
 * figure is the median over rounds.
 *
 * It measures the built package (dist/), as users run it: `npm run build` first.
 *
 *   npx tsx bench/overhead.ts            # print
 *   npx tsx bench/overhead.ts --write    # and update BENCHMARKS.md
 *   npx tsx bench/overhead.ts --smoke    # a few calls, to check it runs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { ProviderAdapter, ProviderRequest, ProviderResponse, Router } from '../src/index.js';

// The built package, as users run it (types from the source it is built from).
const { createRouter, ProviderError } = (await import(
  new URL('../dist/index.js', import.meta.url).href
)) as typeof import('../src/index.js');

const smoke = process.argv.includes('--smoke');
const ROUNDS = smoke ? 2 : 15;
const CALLS = smoke ? 50 : 4_000;
const WARMUP = smoke ? 50 : 20_000;

const response: ProviderResponse = {
  content: 'ok',
  finishReason: 'stop',
  usage: { inputTokens: 20, outputTokens: 5, totalTokens: 25 },
};

/** A provider that answers at once from memory: what is measured is everything around it. */
function memoryAdapter(name: string): ProviderAdapter {
  return {
    name,
    type: 'openai-compatible',
    complete: (_request: ProviderRequest) => Promise.resolve(response),
    async *stream() {
      yield { type: 'text', text: 'ok' };
      yield { type: 'finish', finishReason: 'stop', usage: response.usage };
    },
    classify: (error: unknown) => new ProviderError('server_error', String(error), { provider: name }),
  };
}

const adapter = memoryAdapter('mem');
const models = ['a', 'b', 'c'].map((id, i) => ({
  id: `mem-${id}`,
  provider: 'mem',
  quality: 0.6 + i * 0.1,
  pricing: { inputPerMTok: 1 + i, outputPerMTok: 2 + i },
}));

/** The same models, each served by three deployments (three provider entries) with weights. */
const deployed = models.map(({ provider: _provider, ...spec }) => ({
  ...spec,
  deployments: ['mem1', 'mem2', 'mem3'].map((provider, i) => ({ provider, weight: 3 - i })),
}));

function deployedRouter(): Router {
  return createRouter({
    providers: {
      mem1: { adapter: memoryAdapter('mem1') },
      mem2: { adapter: memoryAdapter('mem2') },
      mem3: { adapter: memoryAdapter('mem3') },
    },
    models: deployed,
    tenants: { t: { model: 'mem-a' } },
  });
}

function minimalRouter(): Router {
  return createRouter({ providers: { mem: { adapter } }, models, tenants: { t: { model: 'mem-a' } } });
}

/** Every stage on: tenant, access, PII guardrail, prompt, cache (misses), rate limit, strategy, budget, queue, execute, audit. */
function fullRouter(): Router {
  const router = createRouter({
    providers: { mem: { adapter } },
    models,
    concurrency: { maxInFlight: 1_000 },
    tenants: {
      t: {
        strategy: 'balanced',
        systemPrompt: 'You help {{tenant}}.',
        guardrails: { pii: { action: 'redact' } },
        cache: { ttlMs: 60_000 },
        rateLimit: { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000 },
        budget: { limitUsd: 1_000_000, period: 'month' },
      },
    },
  });
  router.on('audit', () => {});
  return router;
}

type Variant = { name: string; call: (i: number) => Promise<unknown> };

const request = (i: number) => ({
  model: 'mem-a',
  messages: [{ role: 'user' as const, content: `What is the status of order ${i}?` }],
  maxTokens: 64,
});
const minimal = minimalRouter();
// The same minimal stack with an audit listener: the difference is what events cost.
const audited = minimalRouter();
audited.on('audit', () => {});
const full = fullRouter();
const threeDeployments = deployedRouter();
const variants: Variant[] = [
  { name: 'adapter directly', call: (i) => adapter.complete(request(i)) },
  {
    name: 'router, minimal stack',
    call: (i) => minimal.complete({ tenant: 't', maxTokens: 64, messages: request(i).messages }),
  },
  {
    name: 'router, minimal stack + audit listener',
    call: (i) => audited.complete({ tenant: 't', maxTokens: 64, messages: request(i).messages }),
  },
  {
    name: 'router, minimal stack, 3 deployments per model',
    call: (i) => threeDeployments.complete({ tenant: 't', maxTokens: 64, messages: request(i).messages }),
  },
  // A fresh prompt each call: the cache misses, as the target asks.
  {
    name: 'router, full stack',
    call: (i) => full.complete({ tenant: 't', maxTokens: 64, messages: request(i).messages }),
  },
];

async function runBatch(variant: Variant, offset: number): Promise<number[]> {
  const times = new Array<number>(CALLS);
  for (let i = 0; i < CALLS; i++) {
    const start = process.hrtime.bigint();
    await variant.call(offset + i);
    times[i] = Number(process.hrtime.bigint() - start) / 1_000;
  }
  return times;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

for (let i = 0; i < WARMUP / CALLS; i++) for (const v of variants) await runBatch(v, 1e9 + i * CALLS);

const perRound = new Map<string, { p50: number[]; p99: number[]; mean: number[] }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const v of variants) {
    const times = (await runBatch(v, round * CALLS * 10)).sort((a, b) => a - b);
    const stats = perRound.get(v.name) ?? { p50: [], p99: [], mean: [] };
    stats.p50.push(quantile(times, 0.5));
    stats.p99.push(quantile(times, 0.99));
    stats.mean.push(times.reduce((s, t) => s + t, 0) / times.length);
    perRound.set(v.name, stats);
  }
}

const base = perRound.get('adapter directly')!;
const rows = variants.map((v) => {
  const s = perRound.get(v.name)!;
  const p50 = median(s.p50);
  const p99 = median(s.p99);
  const spread = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
  return {
    name: v.name,
    p50,
    p99,
    added50: p50 - median(base.p50),
    added99: p99 - median(base.p99),
    callsPerSec: 1e6 / median(s.mean),
    spread50: spread(s.p50),
  };
});

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu} (${os.cpus().length} cores), Node ${process.version}, with \`npx tsx bench/overhead.ts --write\`: ${ROUNDS} interleaved rounds of ${CALLS} sequential calls per variant after ${WARMUP} warm-up calls; medians over rounds (µs per call).`,
  '',
  '| variant | p50 µs (range over rounds) | p99 µs | added p50 µs | added p99 µs | calls/s, one core |',
  '|---|--:|--:|--:|--:|--:|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.p50.toFixed(1)} (${r.spread50}) | ${r.p99.toFixed(1)} | ${r.added50.toFixed(1)} | ${r.added99.toFixed(1)} | ${Math.round(r.callsPerSec).toLocaleString('en-US')} |`,
  ),
];
console.log(lines.join('\n'));

if (process.argv.includes('--write') && !smoke) {
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  const text = readFileSync(file, 'utf8');
  const section = `<!-- overhead:start -->\n## In-process overhead\n\n${lines.join('\n')}\n<!-- overhead:end -->`;
  const updated = text.includes('<!-- overhead:start -->')
    ? text.replace(/<!-- overhead:start -->[\s\S]*<!-- overhead:end -->/, section)
    : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, updated);
}
await Promise.all([minimal.close(), audited.close(), full.close(), threeDeployments.close()]);
