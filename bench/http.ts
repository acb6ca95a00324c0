/**
 * The added cost of routeplane/http: the same call through the official `openai` SDK
 * against the handler on node:http on loopback, versus `router.complete()` in process.
 * Both use the same router on the emulator (no latency), so the difference is the HTTP
 * surface: the SDK, the loopback round trip, Node's http, the Request/Response adapter,
 * body parsing and validation, and the JSON answer. Variants run interleaved in rounds; each
 * figure is the median over rounds of the per-call median and p99. Streaming is measured
 * the same way (time to the end of the stream).
 *
 * It measures the built package (dist/): `npm run build` first.
 *
 *   npx tsx bench/http.ts            # print
 *   npx tsx bench/http.ts --smoke    # a few calls, to check it runs
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import OpenAI from 'openai';

const { createRouter } = (await import(
  new URL('../dist/index.js', import.meta.url).href
)) as typeof import('../src/index.js');
const { createHandler, toNodeListener } = (await import(
  new URL('../dist/http/index.js', import.meta.url).href
)) as typeof import('../src/http/index.js');
const { createEmulator } = (await import(
  new URL('../dist/testing/index.js', import.meta.url).href
)) as typeof import('../src/testing/index.js');

const smoke = process.argv.includes('--smoke');
const ROUNDS = smoke ? 2 : 7;
const CALLS = smoke ? 20 : 500;
const WARMUP = smoke ? 20 : 1_000;

const emu = await createEmulator();
const router = createRouter({ providers: emu.providers, tenants: { acme: { model: 'gpt-6.1-terra' } } });
const server = createServer(toNodeListener(createHandler(router, { tenantOf: () => 'acme' }))).listen(
  0,
  '127.0.0.1',
);
await once(server, 'listening');
const openai = new OpenAI({
  baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
  apiKey: 'bench',
  maxRetries: 0,
});
const messages = [{ role: 'user' as const, content: 'Say hello.' }];

const variants: Record<string, () => Promise<unknown>> = {
  'router.complete() in process': () => router.complete({ tenant: 'acme', messages }),
  'openai SDK → routeplane/http (JSON)': () => openai.chat.completions.create({ model: 'auto', messages }),
  'router.stream() in process': async () => {
    const stream = router.stream({ tenant: 'acme', messages });
    for await (const _ of stream) {
    }
  },
  'openai SDK → routeplane/http (SSE)': async () => {
    const stream = await openai.chat.completions.create({ model: 'auto', messages, stream: true });
    for await (const _ of stream) {
    }
  },
};

for (const run of Object.values(variants)) for (let i = 0; i < WARMUP / 4; i++) await run();

const results = new Map<string, { median: number[]; p99: number[] }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(variants)) {
    const times: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const start = performance.now();
      await run();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const entry = results.get(name) ?? { median: [], p99: [] };
    entry.median.push(times[Math.floor(times.length / 2)]!);
    entry.p99.push(times[Math.floor(times.length * 0.99)]!);
    results.set(name, entry);
  }
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `routeplane/http added cost (${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${ROUNDS}×${CALLS} calls)\n`,
);
console.log('| variant | median ms | p99 ms |\n|---|---:|---:|');
for (const [name, { median, p99 }] of results)
  console.log(`| ${name} | ${med(median).toFixed(3)} | ${med(p99).toFixed(3)} |`);
const get = (name: string) => med(results.get(name)!.median);
console.log(
  `\nadded by the HTTP surface (median): JSON ${(get('openai SDK → routeplane/http (JSON)') - get('router.complete() in process')).toFixed(3)} ms, SSE ${(get('openai SDK → routeplane/http (SSE)') - get('router.stream() in process')).toFixed(3)} ms`,
);

server.close();
await router.close();
await emu.close();
