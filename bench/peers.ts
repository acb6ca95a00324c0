/**
 * routeplane next to its peers, on loopback against the emulator: the official OpenAI SDK
 * called directly, router.complete(), the Vercel AI SDK (generateText / streamText over
 * @ai-sdk/openai) and the Portkey gateway (@portkey-ai/gateway from npm, started here as a
 * child process, forwarding to the emulator). The emulator runs in a process of its own
 * (bench/emulator-process.mjs), so the clients measured have this process and its event loop
 * to themselves. Same prompts for all; contenders run
 * interleaved in rotating order (A B C D, B C D A, …), several rounds; each figure is the
 * median over rounds, ratios are the median of the per-round ratios to the direct SDK call.
 * Streaming: time to first token for the same contenders.
 *
 * It measures the built package (dist/), as users run it: `npm run build` first.
 *
 *   npx tsx bench/peers.ts            # print
 *   npx tsx bench/peers.ts --write    # and update BENCHMARKS.md
 *   npx tsx bench/peers.ts --smoke    # a few calls, to check it runs
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, type ModelMessage, streamText } from 'ai';
import OpenAI from 'openai';
import type { Router } from '../src/index.js';
import { type EmulatorProcess, startEmulatorProcess } from './emulator-child.js';

// The built package, as users run it (types from the source it is built from).
const { createRouter } = (await import(
  new URL('../dist/index.js', import.meta.url).href
)) as typeof import('../src/index.js');

const smoke = process.argv.includes('--smoke');
const write = process.argv.includes('--write') && !smoke;
const ROUNDS = smoke ? 2 : 8;
const MODEL = 'gpt-6.2-sol';
const MAX_TOKENS = 64;

/** Fixed prompts: the emulator echoes the last user message, one token per word. */
const PROMPTS = [
  'What is the status of order 1042?',
  'Summarise our refund policy in one sentence.',
  'Translate "good morning" into French.',
  'List three colours of the rainbow.',
  'Which plan includes single sign-on?',
  'Write a haiku about a quiet server room.',
  'How many days are there in a leap year?',
  'Suggest a name for a grey cat.',
];
const messagesOf = (i: number) => [{ role: 'user' as const, content: PROMPTS[i % PROMPTS.length]! }];

type Scenario = { name: string; latencyMs: number; perTokenMs: number; calls: number; streamCalls: number };
const SCENARIOS: Scenario[] = [
  {
    name: 'no added latency',
    latencyMs: 0,
    perTokenMs: 0,
    calls: smoke ? 4 : 150,
    streamCalls: smoke ? 3 : 60,
  },
  {
    name: 'latencyMs 20, perTokenMs 1',
    latencyMs: 20,
    perTokenMs: 1,
    calls: smoke ? 3 : 25,
    streamCalls: smoke ? 3 : 25,
  },
];

// ---------------------------------------------------------------- Portkey gateway, a child process

const packageDir = (name: string) => new URL(`../node_modules/${name}/`, import.meta.url);
const versionOf = (name: string) =>
  (JSON.parse(readFileSync(new URL('package.json', packageDir(name)), 'utf8')) as { version: string })
    .version;

let gateway: ChildProcess | undefined;
const gatewayLog: string[] = [];
const stopGateway = () => {
  if (gateway && gateway.exitCode === null && gateway.signalCode === null) gateway.kill('SIGTERM');
};
process.on('exit', stopGateway);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopGateway();
    process.exit(130);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * CPU time of another process so far, µs, all its threads (Linux: /proc/PID/task/ * /schedstat,
 * in ns); undefined where that is not readable.
 */
function processCpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    }
    return ns / 1000;
  } catch {
    return undefined;
  }
}
const gatewayCpuUs = () => processCpuUs(gateway?.pid);
const ownCpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** Starts the gateway on a free port (it binds every interface: the port lives only as long as this run). */
async function startGateway(): Promise<{ url: string; version: string }> {
  const version = versionOf('@portkey-ai/gateway');
  const script = new URL('build/start-server.js', packageDir('@portkey-ai/gateway'));
  const port = await freePort();
  gateway = spawn(process.execPath, [script.pathname, `--port=${port}`, '--headless'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    gatewayLog.push(chunk.toString());
    if (gatewayLog.length > 200) gatewayLog.splice(0, gatewayLog.length - 200);
  };
  gateway.stdout?.on('data', keep);
  gateway.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (gateway.exitCode !== null)
      throw new Error(`Portkey gateway exited: ${gatewayLog.join('').slice(-500)}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return { url, version };
    } catch {
      if (Date.now() > deadline) throw new Error('Portkey gateway did not answer within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

// ---------------------------------------------------------------- contenders

type Contender = { name: string; call: (i: number) => Promise<void> };
type StreamContender = {
  name: string;
  call: (i: number) => Promise<{ ttft: number; total: number; own?: number }>;
};

function contenders(emu: EmulatorProcess, gatewayUrl: string, router: Router) {
  const { apiKey, baseURL } = emu.providers.openai;
  const direct = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
  const viaGateway = new OpenAI({
    apiKey,
    baseURL: `${gatewayUrl}/v1`,
    maxRetries: 0,
    defaultHeaders: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': baseURL },
  });
  const aiModel = createOpenAI({ apiKey, baseURL }).chat(MODEL);
  const expectText = (text: string | null | undefined, who: string) => {
    if (!text) throw new Error(`${who}: empty answer`);
  };

  const complete: Contender[] = [
    {
      name: 'OpenAI SDK, direct',
      call: async (i) => {
        const r = await direct.chat.completions.create({
          model: MODEL,
          messages: messagesOf(i),
          max_tokens: MAX_TOKENS,
        });
        expectText(r.choices[0]?.message.content, 'OpenAI SDK');
      },
    },
    {
      name: 'router.complete()',
      call: async (i) => {
        const r = await router.complete({ tenant: 't', messages: messagesOf(i), maxTokens: MAX_TOKENS });
        expectText(r.text, 'router');
      },
    },
    {
      name: 'AI SDK generateText',
      call: async (i) => {
        const r = await generateText({
          model: aiModel,
          messages: messagesOf(i) as ModelMessage[],
          maxOutputTokens: MAX_TOKENS,
          maxRetries: 0,
        });
        expectText(r.text, 'AI SDK');
      },
    },
    {
      name: 'Portkey gateway (OpenAI SDK → gateway)',
      call: async (i) => {
        const r = await viaGateway.chat.completions.create({
          model: MODEL,
          messages: messagesOf(i),
          max_tokens: MAX_TOKENS,
        });
        expectText(r.choices[0]?.message.content, 'Portkey');
      },
    },
  ];

  const sdkStream = (client: OpenAI) => async (i: number) => {
    const start = performance.now();
    let ttft = Number.NaN;
    const s = await client.chat.completions.create({
      model: MODEL,
      messages: messagesOf(i),
      max_tokens: MAX_TOKENS,
      stream: true,
    });
    for await (const chunk of s) {
      if (Number.isNaN(ttft) && chunk.choices[0]?.delta?.content) ttft = performance.now() - start;
    }
    if (Number.isNaN(ttft)) throw new Error('no text in stream');
    return { ttft, total: performance.now() - start };
  };

  const stream: StreamContender[] = [
    { name: 'OpenAI SDK, direct (stream: true)', call: sdkStream(direct) },
    {
      name: 'router.stream()',
      call: async (i) => {
        const start = performance.now();
        let ttft = Number.NaN;
        const s = router.stream({ tenant: 't', messages: messagesOf(i), maxTokens: MAX_TOKENS });
        for await (const part of s) {
          if (Number.isNaN(ttft) && part.type === 'text') ttft = performance.now() - start;
        }
        const result = await s.result;
        if (Number.isNaN(ttft) || result.ttftMs === undefined) throw new Error('no text in stream');
        return { ttft, total: performance.now() - start, own: result.ttftMs };
      },
    },
    {
      name: 'AI SDK streamText',
      call: async (i) => {
        const start = performance.now();
        let ttft = Number.NaN;
        const r = streamText({
          model: aiModel,
          messages: messagesOf(i) as ModelMessage[],
          maxOutputTokens: MAX_TOKENS,
          maxRetries: 0,
        });
        for await (const part of r.fullStream) {
          if (part.type === 'error') throw part.error;
          if (Number.isNaN(ttft) && part.type === 'text-delta' && part.text) ttft = performance.now() - start;
        }
        if (Number.isNaN(ttft)) throw new Error('no text in stream');
        return { ttft, total: performance.now() - start };
      },
    },
    { name: 'Portkey gateway (stream: true)', call: sdkStream(viaGateway) },
  ];
  return { complete, stream };
}

// ---------------------------------------------------------------- statistics

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const withRange = (xs: number[], unit = '') =>
  `${fmt(median(xs))}${unit} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
const ratioCell = (xs: number[]) =>
  `${median(xs).toFixed(2)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
const rotate = <T>(xs: T[], by: number) => xs.map((_, k) => xs[(k + by) % xs.length]!);
const us = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');

type Stats = {
  p50: number[];
  p99: number[];
  ratio: number[];
  upstream: number[];
  total: number[];
  own: number[];
  /** This process's CPU time per call, µs. */
  cpu: number[];
  /** The emulator process's CPU time per request it received, µs. */
  emuCpu: number[];
  /** The gateway process's CPU time per call, µs (measured for every contender; only Portkey's is its own). */
  gatewayCpu: number[];
};
const emptyStats = (): Stats => ({
  p50: [],
  p99: [],
  ratio: [],
  upstream: [],
  total: [],
  own: [],
  cpu: [],
  emuCpu: [],
  gatewayCpu: [],
});

/**
 * Runs `calls` sequential calls; returns their times (ms), upstream requests per call, and
 * the CPU time per call of this process, of the emulator process (per request) and of the
 * gateway process.
 */
async function batch<R>(
  emu: EmulatorProcess,
  calls: number,
  offset: number,
  call: (i: number) => Promise<R>,
) {
  await emu.reset();
  const gateway0 = gatewayCpuUs();
  const cpu0 = ownCpuUs();
  const times: number[] = [];
  const results: R[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    results.push(await call(offset + i));
    times.push(performance.now() - start);
  }
  const cpu = (ownCpuUs() - cpu0) / calls;
  const gateway1 = gatewayCpuUs();
  const span = await emu.reset();
  return {
    times,
    results,
    upstream: span.requests / calls,
    cpu,
    emuCpu: span.cpuUs / Math.max(1, span.requests),
    gatewayCpu: gateway0 === undefined || gateway1 === undefined ? Number.NaN : (gateway1 - gateway0) / calls,
  };
}

const describe = (error: unknown): string => {
  const e = error as { status?: number; message?: string };
  const text = String(e?.message ?? error)
    .replace(/\s+/g, ' ')
    .slice(0, 120);
  return e?.status ? `HTTP ${e.status}: ${text}` : text;
};

async function runScenario(s: Scenario, gatewayUrl: string) {
  const emu = await startEmulatorProcess({ latencyMs: s.latencyMs, perTokenMs: s.perTokenMs });
  const router = createRouter({
    providers: { openai: emu.providers.openai },
    tenants: { t: { model: MODEL } },
  });
  const { complete, stream } = contenders(emu, gatewayUrl, router);
  const upstreamModels = new Set<string>();
  try {
    // Check that each contender reaches the emulator with the same model, and warm up.
    for (const c of complete) {
      await emu.reset();
      await c.call(0);
      for (const model of (await emu.reset()).models) upstreamModels.add(model);
      for (let i = 0; i < Math.min(s.calls, 20); i++) await c.call(i);
    }
    // Streaming contenders that fail are recorded, not measured.
    const failures = new Map<string, string>();
    const live: StreamContender[] = [];
    for (const c of stream) {
      await emu.reset();
      try {
        await c.call(0);
        for (let i = 0; i < Math.min(s.streamCalls, 10); i++) await c.call(i);
        live.push(c);
      } catch (error) {
        const reached = (await emu.reset()).requests;
        await new Promise((r) => setTimeout(r, 200));
        const logged = gatewayLog
          .join('')
          .split(/[\r\n]+/)
          .find((line) => /TypeError|Error:/.test(line));
        failures.set(
          c.name,
          `fails: ${describe(error)} (${reached} request${reached === 1 ? '' : 's'} reached the emulator${
            logged
              ? `; gateway log: \`${logged
                  .replace(/^.*Starting AI Gateway\.\.\./, '')
                  .trim()
                  .slice(0, 100)}\``
              : ''
          })`,
        );
      }
    }

    const completeStats = new Map(complete.map((c) => [c.name, emptyStats()]));
    const streamStats = new Map(live.map((c) => [c.name, emptyStats()]));
    for (let round = 0; round < ROUNDS; round++) {
      const baseP50 = new Map<string, number>();
      for (const c of rotate(complete, round)) {
        const { times, upstream, cpu, emuCpu, gatewayCpu } = await batch(
          emu,
          s.calls,
          round * s.calls,
          c.call,
        );
        times.sort((a, b) => a - b);
        const st = completeStats.get(c.name)!;
        st.p50.push(quantile(times, 0.5));
        st.p99.push(quantile(times, 0.99));
        st.upstream.push(upstream);
        st.cpu.push(cpu);
        st.emuCpu.push(emuCpu);
        st.gatewayCpu.push(gatewayCpu);
        baseP50.set(c.name, quantile(times, 0.5));
      }
      for (const c of complete) {
        completeStats.get(c.name)!.ratio.push(baseP50.get(c.name)! / baseP50.get(complete[0]!.name)!);
      }
      const baseTtft = new Map<string, number>();
      for (const c of rotate(live, round)) {
        const { results, upstream, cpu, emuCpu, gatewayCpu } = await batch(
          emu,
          s.streamCalls,
          round * s.streamCalls,
          c.call,
        );
        const ttft = results.map((r) => r.ttft).sort((a, b) => a - b);
        const st = streamStats.get(c.name)!;
        st.cpu.push(cpu);
        st.emuCpu.push(emuCpu);
        st.gatewayCpu.push(gatewayCpu);
        st.p50.push(quantile(ttft, 0.5));
        st.p99.push(quantile(ttft, 0.99));
        st.total.push(median(results.map((r) => r.total)));
        st.upstream.push(upstream);
        const own = results.flatMap((r) => (r.own === undefined ? [] : [r.own]));
        if (own.length > 0) st.own.push(median(own));
        baseTtft.set(c.name, quantile(ttft, 0.5));
      }
      const base = baseTtft.get(stream[0]!.name);
      for (const c of live) if (base) streamStats.get(c.name)!.ratio.push(baseTtft.get(c.name)! / base);
    }
    return { completeStats, streamStats, failures, stream, complete, upstreamModels };
  } finally {
    await router.close();
    await emu.close();
  }
}

// ---------------------------------------------------------------- load run

/**
 * The wrk-style run, against an emulator with no added latency: for each N, each contender
 * runs N callers that each call in a loop (the next call as soon as the previous answer is
 * in) for a fixed time.
 */
const LOAD = {
  concurrency: smoke ? [4] : [16, 64],
  seconds: smoke ? 0.3 : 3,
  rounds: smoke ? 1 : 3,
  warmupSeconds: smoke ? 0.1 : 0.5,
};

type LoadSample = {
  /** Calls completed per second. */
  throughput: number;
  /** Latency of all the run's calls, ms (for a stream: the whole stream). */
  p50: number;
  p99: number;
  ttftP50: number;
  ttftP99: number;
  errors: number;
  firstError: unknown;
  /** This process's CPU per completed call, µs, and its event-loop utilisation (0–1). */
  cpu: number;
  elu: number;
  /** The emulator process's CPU per request, µs, and its event-loop utilisation. */
  emuCpu: number;
  emuElu: number;
  /** The gateway process's CPU per completed call, µs. */
  gatewayCpu: number;
};

/** N callers calling `call` in a loop for `ms`. */
async function loadRun<R>(
  emu: EmulatorProcess,
  call: (i: number) => Promise<R>,
  concurrency: number,
  ms: number,
  ttftOf?: (result: R) => number,
): Promise<LoadSample> {
  await emu.reset();
  const gateway0 = gatewayCpuUs();
  const cpu0 = ownCpuUs();
  const elu0 = performance.eventLoopUtilization();
  const times: number[] = [];
  const ttfts: number[] = [];
  let errors = 0;
  let firstError: unknown;
  let next = 0;
  const start = performance.now();
  const end = start + ms;
  const caller = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const result = await call(next++);
        times.push(performance.now() - t0);
        if (ttftOf) ttfts.push(ttftOf(result));
      } catch (error) {
        errors++;
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = ownCpuUs() - cpu0;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const gateway1 = gatewayCpuUs();
  const span = await emu.reset();
  times.sort((a, b) => a - b);
  ttfts.sort((a, b) => a - b);
  const done = Math.max(1, times.length);
  return {
    throughput: times.length / elapsed,
    p50: times.length ? quantile(times, 0.5) : Number.NaN,
    p99: times.length ? quantile(times, 0.99) : Number.NaN,
    ttftP50: ttfts.length ? quantile(ttfts, 0.5) : Number.NaN,
    ttftP99: ttfts.length ? quantile(ttfts, 0.99) : Number.NaN,
    errors,
    firstError,
    cpu: cpu / done,
    elu,
    emuCpu: span.cpuUs / Math.max(1, span.requests),
    emuElu: span.elu,
    gatewayCpu: gateway0 === undefined || gateway1 === undefined ? Number.NaN : (gateway1 - gateway0) / done,
  };
}

type LoadStats = { [K in Exclude<keyof LoadSample, 'errors' | 'firstError'>]: number[] } & {
  ratio: number[];
  errors: number;
  firstError: unknown;
};
const emptyLoadStats = (): LoadStats => ({
  throughput: [],
  p50: [],
  p99: [],
  ttftP50: [],
  ttftP99: [],
  cpu: [],
  elu: [],
  emuCpu: [],
  emuElu: [],
  gatewayCpu: [],
  ratio: [],
  errors: 0,
  firstError: undefined,
});

async function runLoad(gatewayUrl: string) {
  const emu = await startEmulatorProcess({ latencyMs: 0, perTokenMs: 0 });
  const router = createRouter({
    providers: { openai: emu.providers.openai },
    tenants: { t: { model: MODEL } },
  });
  const { complete, stream: allStreams } = contenders(emu, gatewayUrl, router);
  // Streaming under load: the router against the direct SDK.
  const stream = allStreams.slice(0, 2);
  const ttftOf = (r: { ttft: number }) => r.ttft;
  const key = (n: number, name: string) => `${n} ${name}`;
  const completeStats = new Map<string, LoadStats>();
  const streamStats = new Map<string, LoadStats>();
  const add = (stats: Map<string, LoadStats>, n: number, name: string, sample: LoadSample) => {
    let st = stats.get(key(n, name));
    if (!st) {
      st = emptyLoadStats();
      stats.set(key(n, name), st);
    }
    for (const field of Object.keys(sample) as (keyof LoadSample)[]) {
      if (field === 'errors') st.errors += sample.errors;
      else if (field === 'firstError') st.firstError ??= sample.firstError;
      else st[field].push(sample[field]);
    }
  };
  try {
    // Warm-up at each N: the connections open and the code is compiled before anything counts.
    for (const n of LOAD.concurrency) {
      for (const c of complete) await loadRun(emu, c.call, n, LOAD.warmupSeconds * 1000);
      for (const c of stream) await loadRun(emu, c.call, n, LOAD.warmupSeconds * 1000, ttftOf);
    }
    for (let round = 0; round < LOAD.rounds; round++) {
      for (const n of LOAD.concurrency) {
        const base = new Map<string, number>();
        for (const c of rotate(complete, round)) {
          const sample = await loadRun(emu, c.call, n, LOAD.seconds * 1000);
          add(completeStats, n, c.name, sample);
          base.set(c.name, sample.throughput);
        }
        for (const c of complete) {
          completeStats.get(key(n, c.name))!.ratio.push(base.get(c.name)! / base.get(complete[0]!.name)!);
        }
        for (const c of rotate(stream, round)) {
          const sample = await loadRun(emu, c.call, n, LOAD.seconds * 1000, ttftOf);
          add(streamStats, n, c.name, sample);
          base.set(c.name, sample.throughput);
        }
        for (const c of stream) {
          streamStats.get(key(n, c.name))!.ratio.push(base.get(c.name)! / base.get(stream[0]!.name)!);
        }
      }
    }
    return { complete, stream, completeStats, streamStats, key };
  } finally {
    await router.close();
    await emu.close();
  }
}

function loadSection(r: Awaited<ReturnType<typeof runLoad>>): string[] {
  const eluCell = (xs: number[]) => `${(median(xs) * 100).toFixed(0)}%`;
  const errorsCell = (st: LoadStats) => (st.errors === 0 ? '0' : `${st.errors}: ${describe(st.firstError)}`);
  const completeRows: string[] = [];
  const streamRows: string[] = [];
  for (const n of LOAD.concurrency) {
    for (const c of r.complete) {
      const st = r.completeStats.get(r.key(n, c.name))!;
      completeRows.push(
        `| ${n} | ${c.name} | ${withRange(st.throughput)} | ${ratioCell(st.ratio)} | ${withRange(st.p50)} | ${withRange(st.p99)} | ${cpuCell(c.name, st)} | ${eluCell(st.elu)} | ${us(median(st.emuCpu))} | ${eluCell(st.emuElu)} | ${errorsCell(st)} |`,
      );
    }
    for (const c of r.stream) {
      const st = r.streamStats.get(r.key(n, c.name))!;
      streamRows.push(
        `| ${n} | ${c.name} | ${withRange(st.throughput)} | ${ratioCell(st.ratio)} | ${withRange(st.ttftP50)} | ${withRange(st.ttftP99)} | ${withRange(st.p50)} | ${us(median(st.cpu))} | ${eluCell(st.elu)} | ${us(median(st.emuCpu))} | ${eluCell(st.emuElu)} | ${errorsCell(st)} |`,
      );
    }
  }
  return [
    '',
    `### Load: N concurrent callers for ${LOAD.seconds} s (emulator with no added latency)`,
    '',
    `In the manner of \`wrk\`: for each N (${LOAD.concurrency.join(' and ')}), each contender runs N callers that each call in a loop, the next call as soon as the previous answer is in, for ${LOAD.seconds} s; contenders interleaved in rotating order, ${LOAD.rounds} rounds, after a ${LOAD.warmupSeconds} s warm-up of each at each N. A fresh emulator process and router. Throughput is calls completed per second; p50 and p99 are nearest-rank over all the calls of one run; the throughput ratio is the median over rounds of (contender ÷ direct SDK, same round, same N). CPU per call: this process's (client) and the emulator process's per request it received (and the gateway's, for Portkey); ELU is each process's event-loop utilisation over the run (100% = its one JavaScript thread never idle: that process is the bottleneck). Figures are the median over rounds, the range in brackets.`,
    '',
    '| N | contender | calls/s | throughput ratio to direct SDK | p50 ms | p99 ms | client CPU µs per call | client ELU | emulator CPU µs per request | emulator ELU | errors |',
    '|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|---|',
    ...completeRows,
    '',
    `Streaming under the same load, router.stream() against the direct SDK (\`stream: true\`); each call reads the whole stream, TTFT is from the call to the first text chunk:`,
    '',
    '| N | contender | streams/s | throughput ratio to direct SDK | TTFT p50 ms | TTFT p99 ms | whole stream p50 ms | client CPU µs per stream | client ELU | emulator CPU µs per request | emulator ELU | errors |',
    '|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
    ...streamRows,
  ];
}

/** This process's CPU per call; for the gateway, plus the gateway process's. */
const cpuCell = (name: string, st: { cpu: number[]; gatewayCpu: number[] }) =>
  name.startsWith('Portkey')
    ? `${us(median(st.cpu))} + ${us(median(st.gatewayCpu))} in the gateway`
    : us(median(st.cpu));

// ---------------------------------------------------------------- reading

/** What limits each number, with the figures of this run. */
function reading(): string[] {
  const [fast, slow] = results;
  if (!fast || !slow) return [];
  const ratio = (r: typeof fast, name: string, stream = false) => {
    const st = (stream ? r.streamStats : r.completeStats).get(name);
    return st && st.ratio.length > 0 ? `${median(st.ratio).toFixed(2)}×` : 'n/a';
  };
  const p50 = (r: typeof fast, name: string, stream = false) =>
    median((stream ? r.streamStats : r.completeStats).get(name)?.p50 ?? [Number.NaN]);
  const added = (r: typeof fast, name: string, stream = false) =>
    fmt(
      p50(r, name, stream) -
        p50(r, stream ? 'OpenAI SDK, direct (stream: true)' : 'OpenAI SDK, direct', stream),
    );
  const [sdk, router, ai, portkey] = fast.complete.map((c) => c.name) as [string, string, string, string];
  const [, routerS, aiS, portkeyS] = fast.stream.map((c) => c.name) as [string, string, string, string];
  const portkeyFailure = fast.failures.get(portkeyS) ?? slow.failures.get(portkeyS);
  const cpuOf = (name: string) => median(fast.completeStats.get(name)?.cpu ?? [Number.NaN]);
  const emuCpu = median(fast.completeStats.get(sdk)?.emuCpu ?? [Number.NaN]);
  return [
    '**Reading.**',
    '',
    `- *No added latency* is the clients' own cost plus one loopback HTTP exchange (two for Portkey), on ${os.cpus().length} cores shared by the clients (this process), the emulator (a process of its own) and the gateway process. The direct SDK call takes ${fmt(p50(fast, sdk))} ms at p50. A sequential call also waits for the emulator's work on it (about ${us(emuCpu)} µs of the emulator process's CPU per request, the same for every contender): it is in every denominator, so it shrinks the ratios a little but not the differences in ms. The OpenAI SDK, the router (which calls the same OpenAI SDK, with \`maxRetries: 0\`) and the AI SDK all send through Node's built-in \`fetch\` (undici), so the differences are in what surrounds the request, not the HTTP client.`,
    `- *Client CPU per call* is the steadiest measure of a client's own cost (it does not count the time spent waiting for the emulator or the scheduler): the direct SDK call costs ${us(cpuOf(sdk))} µs of this process's CPU, router.complete() ${us(cpuOf(router))} µs, generateText ${us(cpuOf(ai))} µs. It includes all the process does for the call: undici's HTTP client, the SDK, the mapping, GC.`,
    `- **router.complete()** is ${ratio(fast, router)} the direct call (+${added(fast, router)} ms p50): the SDK call plus the router's stages (tenant policy, routing decision, execution bookkeeping, events) and the mapping of the SDK's answer to a \`ChatResult\` (\`bench/loopback-gap.ts\` and \`bench/sdk-pieces.ts\` break this difference down, piece by piece and by source file). **router.stream()** is ${ratio(fast, routerS, true)} on time to first token (+${added(fast, routerS, true)} ms): the pipeline runs before the request, and every chunk passes through the router's part queue.`,
    `- **AI SDK generateText** is ${ratio(fast, ai)} (+${added(fast, ai)} ms): it reads the body as text, parses it and validates it against its zod response schema, then builds its step and result objects. **streamText** is ${ratio(fast, aiS, true)} on time to first token (+${added(fast, aiS, true)} ms): each SSE event is parsed and schema-validated, then goes through a chain of web \`TransformStream\`s before \`fullStream\` yields it.`,
    `- **Portkey** is ${ratio(fast, portkey)} (+${added(fast, portkey)} ms): the OpenAI SDK talks to the gateway (a Hono app on \`@hono/node-server\`, in a second process), which rewrites the request, makes its own \`fetch\` to the emulator and rewrites the answer back: a second HTTP exchange, two more JSON parse/serialize passes, and a third process competing for the same cores (its CPU per call is in the client CPU column, after the \`+\`).`,
    `- *With latencyMs 20 and perTokenMs 1* the upstream dominates: router ${ratio(slow, router)}, AI SDK ${ratio(slow, ai)}, Portkey ${ratio(slow, portkey)} (+${added(slow, portkey)} ms a call); time to first token: router ${ratio(slow, routerS, true)}, AI SDK ${ratio(slow, aiS, true)}. The whole-stream column is mostly the emulator's per-token pacing (in its own process now, so a client that spends longer per chunk no longer delays the next one) plus the client's handling of the last chunks.`,
    `- **Portkey streaming does not work here**: ${portkeyFailure ?? 'it answered in this run'}. The gateway answers HTTP 500 \`{"status":"failure","message":"Something went wrong"}\` after the upstream stream has started (the request reaches the emulator); its log shows \`TypeError: immutable\` from \`Headers.append\` in its response-header update, the failure NODE20.md describes for @portkey-ai/gateway 1.15 on Node 20. Not patched here, so its time to first token is not measured (NODE20.md also notes its stream reader sleeps 25 ms before the first chunk, which would add to it).`,
    '- p99 is within a round of 25 to 150 calls, so it is close to the slowest call and its spread over rounds is wide; the p50 ratios are the stable figures.',
    ...loadReading(),
  ];
}

/** What limits the load run's throughput, with its figures. */
function loadReading(): string[] {
  const r = loadResult;
  if (!r) return [];
  const [sdk, router, ai, portkey] = r.complete.map((c) => c.name) as [string, string, string, string];
  const [sdkS, routerS] = r.stream.map((c) => c.name) as [string, string];
  const at = (n: number, name: string, stream = false) =>
    (stream ? r.streamStats : r.completeStats).get(r.key(n, name))!;
  const pct = (xs: number[]) => `${(median(xs) * 100).toFixed(0)}%`;
  const ratio = (n: number, name: string, stream = false) =>
    `${median(at(n, name, stream).ratio).toFixed(2)}×`;
  const rate = (n: number, name: string, stream = false) => fmt(median(at(n, name, stream).throughput));
  const cpu = (n: number, name: string, stream = false) => us(median(at(n, name, stream).cpu));
  const high = LOAD.concurrency[LOAD.concurrency.length - 1]!;
  const low = LOAD.concurrency[0]!;
  return [
    `- **Under load** (N callers for ${LOAD.seconds} s) the limit is CPU, on ${os.cpus().length} cores shared by this process, the emulator process and the gateway (and whatever else runs on the machine). At N = ${high} the direct SDK makes ${rate(high, sdk)} calls/s with this process's event loop ${pct(at(high, sdk).elu)} busy and the emulator's ${pct(at(high, sdk).emuElu)}: the client process is the bottleneck when its ELU is near 100%, and its CPU per call (${cpu(high, sdk)} µs) bounds the rate (one thread; ELU also counts the time the scheduler gives the emulator and other processes on the same cores). router.complete() makes ${rate(high, router)} calls/s, ${ratio(high, router)} the direct SDK's (${ratio(low, router)} at N = ${low}), at ${cpu(high, router)} µs of client CPU per call; AI SDK generateText ${ratio(high, ai)} (${cpu(high, ai)} µs per call); Portkey ${ratio(high, portkey)}, where the gateway process, at ${us(median(at(high, portkey).gatewayCpu))} µs of CPU per call, is the bottleneck. Streaming at N = ${high}: router.stream() ${rate(high, routerS, true)} streams/s against ${rate(high, sdkS, true)} for the direct SDK (${ratio(high, routerS, true)}).`,
    '- Latency under load is queueing: with N callers and a rate of R calls/s, a call takes about N / R, so p50 follows throughput; p99 adds GC pauses and the scheduler of a shared machine.',
  ];
}

// ---------------------------------------------------------------- run

const lines: string[] = [];
const results: Array<{ scenario: Scenario } & Awaited<ReturnType<typeof runScenario>>> = [];
let loadResult: Awaited<ReturnType<typeof runLoad>> | undefined;
try {
  const { url: gatewayUrl, version: portkeyVersion } = await startGateway();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  lines.push(
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu} (${os.cpus().length} cores), Node ${process.version}, with \`npx tsx bench/peers.ts --write\` (after \`npm run build\`). Peers: openai ${versionOf('openai')}, ai ${versionOf('ai')} + @ai-sdk/openai ${versionOf('@ai-sdk/openai')}, @portkey-ai/gateway ${portkeyVersion} (a child process on a loopback port, its upstream the emulator through \`x-portkey-custom-host\`).`,
    '',
    `Every contender sends the same ${PROMPTS.length} fixed prompts (model \`${MODEL}\`, max tokens ${MAX_TOKENS}; the emulator echoes the prompt, 6–8 tokens) to one emulator (\`createEmulator\` from routeplane/testing, built) that runs in a process of its own (\`bench/emulator-process.mjs\`, plain \`node\`, started with \`fork\`), so the clients have this process and its event loop to themselves; the gateway is a third process. Each contender makes N sequential calls per round, contenders interleaved in rotating order, ${ROUNDS} rounds, after a warm-up. Figures are the median over rounds, with the range over rounds in brackets; p99 is nearest-rank within a round (with 25 calls, the slowest call). The ratio is the median over rounds of (contender p50 / direct SDK p50) in the same round. The direct SDK client and the router both use \`maxRetries: 0\`; the AI SDK calls pass \`maxRetries: 0\`; Portkey is reached with the OpenAI SDK (\`maxRetries: 0\`) pointed at the gateway. CPU is per call, median over rounds: *client* is this process (user + system, \`process.cpuUsage()\`), all it does for the call (the SDK, undici, the router, GC); *emulator* is the emulator process's per request it received, from its own \`process.cpuUsage()\`; the gateway's is read from \`/proc/PID/task/*/schedstat\`.`,
  );
  for (const scenario of SCENARIOS) {
    const r = await runScenario(scenario, gatewayUrl);
    results.push({ scenario, ...r });
    lines.push(
      '',
      `### Emulator ${scenario.name}`,
      '',
      `Non-streaming, ${scenario.calls} calls per contender per round (upstream model seen by the emulator: ${[...r.upstreamModels].join(', ')}):`,
      '',
      '| contender | p50 ms | p99 ms | ratio to direct SDK (p50) | upstream requests per call | client CPU µs per call | emulator CPU µs per request |',
      '|---|--:|--:|--:|--:|--:|--:|',
      ...r.complete.map((c) => {
        const st = r.completeStats.get(c.name)!;
        return `| ${c.name} | ${withRange(st.p50)} | ${withRange(st.p99)} | ${ratioCell(st.ratio)} | ${median(st.upstream).toFixed(2)} | ${cpuCell(c.name, st)} | ${us(median(st.emuCpu))} |`;
      }),
      '',
      `Streaming, time to first text token measured by the caller from the call to the first text chunk, ${scenario.streamCalls} calls per contender per round:`,
      '',
      '| contender | TTFT p50 ms | TTFT p99 ms | TTFT ratio to direct SDK | whole stream p50 ms | client CPU µs per stream | emulator CPU µs per request |',
      '|---|--:|--:|--:|--:|--:|--:|',
      ...r.stream.map((c) => {
        const failure = r.failures.get(c.name);
        if (failure) return `| ${c.name} | ${failure} | – | – | – | – | – |`;
        const st = r.streamStats.get(c.name)!;
        return `| ${c.name} | ${withRange(st.p50)} | ${withRange(st.p99)} | ${ratioCell(st.ratio)} | ${withRange(st.total)} | ${cpuCell(c.name, st)} | ${us(median(st.emuCpu))} |`;
      }),
    );
    const own = r.streamStats.get('router.stream()')?.own ?? [];
    if (own.length > 0) {
      lines.push(
        '',
        `\`stream.result.ttftMs\` (the router's own figure, from the start of its pipeline): p50 ${withRange(own)} ms.`,
      );
    }
  }
  const load = await runLoad(gatewayUrl);
  loadResult = load;
  lines.push(...loadSection(load));
  lines.push('', ...reading());
  console.log(lines.join('\n'));
} finally {
  stopGateway();
}

if (write) {
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  const text = readFileSync(file, 'utf8');
  const section = `<!-- peers:start -->\n## Next to the peers, on loopback\n\n${lines.join('\n')}\n<!-- peers:end -->`;
  const updated = text.includes('<!-- peers:start -->')
    ? text.replace(/<!-- peers:start -->[\s\S]*<!-- peers:end -->/, () => section)
    : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, updated);
}
