/**
 * What events cost: router.complete() throughput with no listener, with an audit listener,
 * with the metrics collector and with the OpenTelemetry bridge (no SDK registered: the API's
 * no-op tracer and meter), against the emulator on loopback.
 *
 *   npx tsx bench/events.ts [--calls 400] [--rounds 7] [--concurrency 8]
 *
 * Runs are interleaved (the order rotates each round) and each setting's median over the
 * rounds is reported, with its ratio to "no listener". Loopback HTTP and the provider SDKs
 * dominate a call, so this bounds the events' share of a real call from above; it asserts
 * nothing.
 */
import { parseArgs } from 'node:util';
import { type AuditRecord, createRouter, type Router } from 'routeplane';
import { createEmulator } from 'routeplane/testing';
import { createMetrics } from '../src/observability/metrics.js';
import { instrumentRouter } from '../src/otel/index.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '7' },
    concurrency: { type: 'string', default: '8' },
  },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);

const emulator = await createEmulator();

interface Setting {
  name: string;
  router: Router;
  stop: () => void;
}

function newRouter(): Router {
  return createRouter({
    providers: emulator.providers,
    tenants: { acme: { strategy: 'force_model', model: 'gpt-6.2-sol' } },
    retry: { retries: 0 },
  });
}

let sink = 0;
const settings: Setting[] = [
  { name: 'no listener', router: newRouter(), stop: () => {} },
  (() => {
    const router = newRouter();
    const listener = (record: AuditRecord) => {
      sink += record.costUsd;
    };
    router.on('audit', listener);
    return { name: 'audit listener', router, stop: () => router.off('audit', listener) };
  })(),
  (() => {
    const router = newRouter();
    const metrics = createMetrics(router);
    return { name: 'metrics collector', router, stop: () => metrics.close() };
  })(),
  (() => {
    const router = newRouter();
    const otel = instrumentRouter(router);
    return { name: 'otel (no-op API)', router, stop: () => otel.close() };
  })(),
];

const messages = [{ role: 'user' as const, content: 'Say hello in five words.' }];

/** Calls/s of `calls` calls, `CONCURRENCY` at a time. */
async function run(router: Router, calls: number): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < calls) {
      next++;
      await router.complete({ tenant: 'acme', messages });
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return (calls / (performance.now() - start)) * 1000;
}

// Warm-up: SDK loading, JIT, sockets.
for (const s of settings) await run(s.router, Math.min(100, CALLS));

const samples = new Map<string, number[]>(settings.map((s) => [s.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = settings.map((_, i) => settings[(i + round) % settings.length]!);
  for (const s of order) samples.get(s.name)!.push(await run(s.router, CALLS));
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const base = median(samples.get('no listener')!);
const rows = settings.map((s) => {
  const xs = samples.get(s.name)!;
  const m = median(xs);
  return [
    s.name,
    m.toFixed(0),
    `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`,
    (m / base).toFixed(3),
    `${(((1 / m - 1 / base) * 1e6) / 1).toFixed(1)} µs`,
  ];
});

console.log(
  `events bench: ${CALLS} calls × ${ROUNDS} rounds per setting, concurrency ${CONCURRENCY}, emulator on loopback, Node ${process.version}\n`,
);
printTable(['setting', 'calls/s (median)', 'range', 'ratio', 'Δ per call'], rows);
console.log(
  '\nratio = median calls/s ÷ that of "no listener"; Δ per call = the difference in time per call.',
);

// The listeners alone, on synthetic audit records (no HTTP): their own cost per call.
const listeners = new Map<string, ((payload: never) => void)[]>();
const stub = {
  on(event: string, listener: (payload: never) => void) {
    listeners.set(event, [...(listeners.get(event) ?? []), listener]);
    return stub;
  },
  off(event: string, listener: (payload: never) => void) {
    listeners.set(
      event,
      (listeners.get(event) ?? []).filter((l) => l !== listener),
    );
    return stub;
  },
} as unknown as Router;
const record = (i: number): AuditRecord => ({
  requestId: `r${i}`,
  timestamp: Date.now(),
  tenant: `t${i % 100}`,
  outcome: i % 50 === 0 ? 'failed' : 'success',
  ...(i % 50 === 0 && { errorCode: 'providers_exhausted' as const }),
  strategy: 'force_model',
  model: 'gpt-6.2-sol',
  provider: 'openai',
  usage: { inputTokens: 120, outputTokens: 40, totalTokens: 160 },
  costUsd: 0.0012,
  latencyMs: 50 + (i % 997),
  cached: false,
  attempts: [{ model: 'gpt-6.2-sol', provider: 'openai', ok: true, latencyMs: 40 + (i % 997) }],
  fallbacks: [],
  stream: false,
});
const N = 200_000;
const isolated: string[][] = [];
for (const [name, attach] of [
  ['metrics collector', () => createMetrics(stub)],
  ['otel (no-op API)', () => instrumentRouter(stub)],
] as const) {
  const handle = attach();
  const audit = listeners.get('audit')!;
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    for (let i = 0; i < N; i++) for (const l of audit) l(record(i) as never);
    times.push(((performance.now() - start) * 1000) / N);
  }
  handle.close();
  isolated.push([name, `${median(times).toFixed(2)} µs`]);
}
console.log('\nlisteners alone, on synthetic audit records (100 tenants; record building included):\n');
printTable(['listener', 'per call (median of 5)'], isolated);

for (const s of settings) {
  s.stop();
  await s.router.close();
}
await emulator.close();
if (sink < 0) console.log(sink);

function printTable(header: string[], body: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(line(row));
}
