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
import type { Router } from '../src/index.js';
import { overheadMessages, overheadRouters } from './overhead-routers.js';

// The built package, as users run it (types from the source it is built from).
const routeplane = (await import(
  new URL('../dist/index.js', import.meta.url).href
)) as typeof import('../src/index.js');

const smoke = process.argv.includes('--smoke');
const ROUNDS = smoke ? 2 : 15;
const CALLS = smoke ? 50 : 4_000;
const WARMUP = smoke ? 50 : 20_000;

type Variant = { name: string; call: (i: number) => Promise<unknown> };

// The routers (shared with the benchmark guard, bench/check): see bench/overhead-routers.ts.
const { adapter, minimal, audited, deployed, full, close } = overheadRouters(routeplane);
const via = (router: Router) => (i: number) =>
  router.complete({ tenant: 't', maxTokens: 64, messages: overheadMessages(i) });
const variants: Variant[] = [
  {
    name: 'adapter directly',
    call: (i) => adapter.complete({ model: 'mem-a', messages: overheadMessages(i), maxTokens: 64 }),
  },
  { name: 'router, minimal stack', call: via(minimal) },
  { name: 'router, minimal stack + audit listener', call: via(audited) },
  { name: 'router, minimal stack, 3 deployments per model', call: via(deployed) },
  // A fresh prompt each call: the cache misses, as the target asks.
  { name: 'router, full stack', call: via(full) },
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
await close();
