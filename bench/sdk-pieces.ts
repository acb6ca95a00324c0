/**
 * The pieces of the loopback gap, in process and without HTTP, so that a few µs show:
 *
 * - Node primitives the router adds per attempt: an AbortController, a listener on its
 *   signal, a 120 s timer set and cleared (the attempt deadline);
 * - the OpenAI SDK over a fake `fetch` (a canned `Response`, no socket) with and without
 *   each request option the router's adapter passes;
 * - router.complete() over the same fake-fetch client: built-in adapter (`{ client }`), a
 *   hand-written adapter with and without the signal, an in-memory adapter.
 *
 * - streams: router.stream() against the SDK's stream over the same fake fetch (SSE), at two
 *   lengths, so the cost per part shows apart from the cost per stream;
 * - hot and cold: the in-memory router and the fake-fetch SDK call with this core's caches
 *   evicted before each call, against the same in a tight loop.
 *
 * Variants run interleaved in rotating order, several rounds; each figure is the median over
 * rounds of this process's CPU time per operation (GC included, as it is a cost of the
 * operation; CPU time rather than wall time, so that other processes on the machine count less).
 *
 *   npx tsx bench/sdk-pieces.ts            # the tables
 *   npx tsx bench/sdk-pieces.ts --smoke    # a few calls, to check it runs
 *
 * It measures the built package (dist/): `npm run build` first.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import type { ProviderAdapter, ProviderRequest, ProviderResponse } from '../src/index.js';
import { memoryAdapter as adapterFrom } from './tenant-fixtures.js';

const { createRouter, ProviderError } = (await import(
  new URL('../dist/index.js', import.meta.url).href
)) as typeof import('../src/index.js');

const smoke = process.argv.includes('--smoke');
const ROUNDS = smoke ? 2 : 11;
const OPS = smoke ? 1_000 : 100_000;
const CALLS = smoke ? 100 : 4_000;
const COLD_CALLS = smoke ? 10 : 200;
const MODEL = 'gpt-6.2-sol';

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const noop = () => {};
const listener = () => {};
/** Keeps what an operation made, so that the compiler cannot drop it. */
const sink: unknown[] = new Array(1024);
let slot = 0;
const keep = (x: unknown) => {
  sink[slot++ & 1023] = x;
};
/** This process's CPU time, µs (all threads: GC helpers included). */
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

// ---------------------------------------------------------------- A. Node primitives

class DeadlineLike extends AbortController {
  #timer: ReturnType<typeof setTimeout> | undefined;
  constructor(ms: number) {
    super();
    this.#timer = setTimeout(() => this.abort(), ms);
  }
  dispose() {
    clearTimeout(this.#timer);
  }
}

const primitives: { name: string; op: () => void }[] = [
  { name: 'empty loop (baseline: keeps an object)', op: () => keep(sink) },
  { name: 'new AbortController() (Node makes its signal lazily)', op: () => keep(new AbortController()) },
  {
    name: 'new AbortController().signal (creates the AbortSignal)',
    op: () => keep(new AbortController().signal),
  },
  {
    name: 'new AbortController().signal + addEventListener(abort, fn) (no options)',
    op: () => {
      const controller = new AbortController();
      controller.signal.addEventListener('abort', listener);
      keep(controller);
    },
  },
  {
    name: 'new AbortController().signal + addEventListener(abort, fn, { once: true })',
    op: () => {
      const controller = new AbortController();
      controller.signal.addEventListener('abort', listener, { once: true });
      keep(controller);
    },
  },
  {
    name: '… + removeEventListener',
    op: () => {
      const controller = new AbortController();
      controller.signal.addEventListener('abort', listener, { once: true });
      controller.signal.removeEventListener('abort', listener);
      keep(controller);
    },
  },
  {
    name: 'setTimeout(fn, 120 s) + clearTimeout',
    op: () => {
      const timer = setTimeout(noop, 120_000);
      clearTimeout(timer);
      keep(timer);
    },
  },
  {
    name: 'Deadline-like: class extends AbortController, 120 s timer, cleared',
    op: () => {
      const deadline = new DeadlineLike(120_000);
      deadline.dispose();
      keep(deadline);
    },
  },
];

/** CPU ns per operation. */
function timeOps(op: () => void, n: number): number {
  const t0 = cpuNow();
  for (let i = 0; i < n; i++) op();
  return ((cpuNow() - t0) * 1000) / n;
}

// ---------------------------------------------------------------- B. the SDK over a fake fetch

const BODY = JSON.stringify({
  id: 'chatcmpl-emu',
  object: 'chat.completion',
  created: 1_760_000_000,
  model: MODEL,
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'What is the status of order 1042?', refusal: null },
      finish_reason: 'stop',
      logprobs: null,
    },
  ],
  usage: { prompt_tokens: 13, completion_tokens: 7, total_tokens: 20 },
});
/** A chat.completion.chunk stream with `parts` text deltas, then the finish and usage chunks, as OpenAI sends it. */
const sse = (parts: number) => {
  const chunk = (choices: unknown[], extra: object = {}) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-emu', object: 'chat.completion.chunk', created: 1_760_000_000, model: MODEL, choices, ...extra })}\n\n`;
  let body = chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
  for (let i = 0; i < parts; i++)
    body += chunk([{ index: 0, delta: { content: 'word ' }, finish_reason: null }]);
  body += chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]);
  body += chunk([], { usage: { prompt_tokens: 13, completion_tokens: parts, total_tokens: 13 + parts } });
  return `${body}data: [DONE]\n\n`;
};
const STREAM_PARTS = [4, 64];
const SSE = new Map(STREAM_PARTS.map((n) => [n, sse(n)]));
/** How many text deltas the next streamed answer has. */
let streamParts = STREAM_PARTS[0]!;
const fakeFetch = (async (_url: string, init: RequestInit) =>
  typeof init.body === 'string' && init.body.includes('"stream":true')
    ? new Response(SSE.get(streamParts)!, {
        status: 200,
        headers: { 'content-type': 'text/event-stream', 'x-request-id': 'req_emu' },
      })
    : new Response(BODY, {
        status: 200,
        headers: { 'content-type': 'application/json', 'x-request-id': 'req_emu' },
      })) as unknown as typeof fetch;
const client = () =>
  new OpenAI({ apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0, fetch: fakeFetch });
const direct = client();
const messages = [{ role: 'user' as const, content: 'What is the status of order 1042?' }];
const params = { model: MODEL, messages, max_completion_tokens: 64 };
const ok = (r: OpenAI.ChatCompletion) => {
  if (!r.choices[0]?.message.content) throw new Error('empty answer');
};

function handAdapter(name: string, passSignal: boolean): ProviderAdapter {
  const c = client();
  return {
    name,
    type: 'openai-compatible',
    async complete(request: ProviderRequest): Promise<ProviderResponse> {
      const r = await c.chat.completions.create(
        {
          model: request.model,
          messages: request.messages as OpenAI.ChatCompletionMessageParam[],
          max_completion_tokens: request.maxTokens,
        },
        passSignal && request.signal ? { maxRetries: 0, signal: request.signal } : { maxRetries: 0 },
      );
      return {
        content: r.choices[0]?.message.content ?? '',
        finishReason: 'stop',
        usage: {
          inputTokens: r.usage?.prompt_tokens ?? 0,
          outputTokens: r.usage?.completion_tokens ?? 0,
          totalTokens: r.usage?.total_tokens ?? 0,
        },
      };
    },
    // biome-ignore lint/correctness/useYield: complete() only
    async *stream() {
      throw new Error('not used');
    },
    classify: (error: unknown) => new ProviderError('server_error', String(error), { provider: name }),
  };
}
const memory = adapterFrom(
  'mem',
  'ok',
  (error) => new ProviderError('server_error', String(error), { provider: 'mem' }),
);
const spec = (provider: string) => ({
  id: `${MODEL}-via-${provider}`,
  provider,
  model: MODEL,
  quality: 0.8,
  pricing: { inputPerMTok: 1, outputPerMTok: 2 },
});
const customRouter = (adapter: ProviderAdapter) =>
  createRouter({
    providers: { [adapter.name]: { adapter } },
    models: [spec(adapter.name)],
    tenants: { t: { model: spec(adapter.name).id } },
  });
const routers = {
  builtin: createRouter({ providers: { openai: { client: direct } }, tenants: { t: { model: MODEL } } }),
  noSignal: customRouter(handAdapter('hand', false)),
  signal: customRouter(handAdapter('handsignal', true)),
  memory: customRouter(memory),
};
const viaRouter = (router: (typeof routers)['builtin']) => async () => {
  const r = await router.complete({ tenant: 't', messages, maxTokens: 64 });
  if (!r.text) throw new Error('empty answer');
};

const calls: { name: string; call: () => Promise<void> }[] = [
  { name: 'SDK create(params)', call: async () => ok(await direct.chat.completions.create(params)) },
  {
    name: 'SDK create(params, { maxRetries: 0 })',
    call: async () => ok(await direct.chat.completions.create(params, { maxRetries: 0 })),
  },
  {
    name: 'SDK + { maxRetries: 0, signal } of a new AbortController',
    call: async () =>
      ok(
        await direct.chat.completions.create(params, { maxRetries: 0, signal: new AbortController().signal }),
      ),
  },
  {
    name: 'SDK + Deadline-like (AbortController, 120 s timer) + its signal',
    call: async () => {
      const deadline = new DeadlineLike(120_000);
      try {
        ok(await direct.chat.completions.create(params, { maxRetries: 0, signal: deadline.signal }));
      } finally {
        deadline.dispose();
      }
    },
  },
  { name: 'router.complete(), in-memory adapter (no SDK)', call: viaRouter(routers.memory) },
  {
    name: 'router.complete(), hand-written adapter, no signal to the SDK',
    call: viaRouter(routers.noSignal),
  },
  { name: 'router.complete(), hand-written adapter, signal to the SDK', call: viaRouter(routers.signal) },
  { name: 'router.complete(), built-in OpenAI adapter ({ client })', call: viaRouter(routers.builtin) },
];

/** CPU µs per call. */
/** Evicts this core's caches: writes one byte per 64 (a cache line) of the first `bytes` of a buffer. */
const EVICT = new Uint8Array(64 * 1024 * 1024);
const EVICT_SIZES = [2 * 1024 * 1024, EVICT.length];
let evictSum = 0;
function evictCaches(bytes: number): void {
  for (let i = 0; i < bytes; i += 64) EVICT[i] = (EVICT[i]! + 1) & 0xff;
  evictSum += EVICT[slot & 1023]!;
}

/** Per-call wall time, µs, p50 over `n` calls; with `evict`, that many bytes are swept before each call (not timed). */
async function p50Calls(call: () => Promise<void>, n: number, evict: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    if (evict > 0) evictCaches(evict);
    const t0 = performance.now();
    await call();
    times.push((performance.now() - t0) * 1000);
  }
  return median(times);
}

async function timeCalls(call: () => Promise<void>, n: number): Promise<number> {
  const t0 = cpuNow();
  for (let i = 0; i < n; i++) await call();
  return (cpuNow() - t0) / n;
}

// ---------------------------------------------------------------- run

try {
  for (const p of primitives) timeOps(p.op, OPS);
  for (const c of calls) await timeCalls(c.call, CALLS);
  // Let the warm-up's timers and garbage settle before anything counts.
  await new Promise((r) => setTimeout(r, 50));
  const prim = new Map(primitives.map((p) => [p.name, [] as number[]]));
  const sdk = new Map(calls.map((c) => [c.name, [] as number[]]));
  const sdkDelta = new Map(calls.map((c) => [c.name, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < primitives.length; k++) {
      const p = primitives[(k + round) % primitives.length]!;
      prim.get(p.name)!.push(timeOps(p.op, OPS));
    }
    const t = new Map<string, number>();
    for (let k = 0; k < calls.length; k++) {
      const c = calls[(k + round) % calls.length]!;
      const us = await timeCalls(c.call, CALLS);
      sdk.get(c.name)!.push(us);
      t.set(c.name, us);
    }
    for (const c of calls) sdkDelta.get(c.name)!.push(t.get(c.name)! - t.get(calls[0]!.name)!);
  }
  // D. streams: per stream, and per part (the slope between two stream lengths).
  const streamCalls = STREAM_PARTS.flatMap((n) => [
    {
      n,
      name: `SDK stream, ${n} text parts`,
      call: async () => {
        streamParts = n;
        const s = await direct.chat.completions.create({ ...params, stream: true });
        let text = '';
        for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? '';
        if (!text) throw new Error('empty stream');
      },
    },
    {
      n,
      name: `router.stream(), ${n} text parts`,
      call: async () => {
        streamParts = n;
        const s = routers.builtin.stream({ tenant: 't', messages, maxTokens: 64 });
        let text = '';
        for await (const part of s) if (part.type === 'text') text += part.text;
        if (!text) throw new Error('empty stream');
      },
    },
  ]);
  const STREAMS = Math.max(10, Math.round(CALLS / 8));
  for (const c of streamCalls) await timeCalls(c.call, STREAMS);
  const streamCpu = new Map(streamCalls.map((c) => [c.name, [] as number[]]));
  const streamDelta = new Map(STREAM_PARTS.map((n) => [n, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    const t = new Map<string, number>();
    for (let k = 0; k < streamCalls.length; k++) {
      const c = streamCalls[(k + round) % streamCalls.length]!;
      const us = await timeCalls(c.call, STREAMS);
      streamCpu.get(c.name)!.push(us);
      t.set(c.name, us);
    }
    for (const n of STREAM_PARTS) {
      streamDelta
        .get(n)!
        .push(t.get(`router.stream(), ${n} text parts`)! - t.get(`SDK stream, ${n} text parts`)!);
    }
  }
  const [fewParts, manyParts] = STREAM_PARTS as [number, number];
  const perPart = streamDelta
    .get(manyParts)!
    .map((d, i) => (d - streamDelta.get(fewParts)![i]!) / (manyParts - fewParts));

  // C. hot and cold: the same calls, per-call p50, with and without the caches evicted before each.
  const coldCalls = [calls[0]!, calls[3]!, calls[4]!, calls[7]!];
  const levels = [0, ...EVICT_SIZES];
  const hotCold = new Map(coldCalls.map((c) => [c.name, levels.map(() => [] as number[])]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < coldCalls.length; k++) {
      const c = coldCalls[(k + round) % coldCalls.length]!;
      for (let l = 0; l < levels.length; l++) {
        hotCold.get(c.name)![l]!.push(await p50Calls(c.call, COLD_CALLS, levels[l]!));
      }
    }
  }
  const base = median(prim.get(primitives[0]!.name)!);
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  console.log(
    [
      `${os.cpus()[0]?.model ?? 'CPU'} (${os.cpus().length} cores), Node ${process.version}; ${ROUNDS} rounds, interleaved in rotating order; median over rounds of this process's CPU time per operation (\`process.cpuUsage()\`, all threads, GC included: it is a cost of the operation).`,
      '',
      `A. Node primitives, ${OPS} operations per round:`,
      '',
      '| operation | CPU µs per op (minus the empty loop) | range over rounds (not minus) |',
      '|---|--:|--:|',
      ...primitives.map((p) => {
        const xs = prim.get(p.name)!;
        return `| ${p.name} | ${((median(xs) - base) / 1000).toFixed(3)} | ${range(xs.map((x) => x / 1000))} |`;
      }),
      '',
      `B. Over a fake fetch (a canned Response, no socket), ${CALLS} sequential calls per round:`,
      '',
      '| call | CPU µs per call | − SDK create(params), same round, µs | range of that difference |',
      '|---|--:|--:|--:|',
      ...calls.map((c) => {
        const d = sdkDelta.get(c.name)!;
        return `| ${c.name} | ${median(sdk.get(c.name)!).toFixed(1)} | ${median(d).toFixed(1)} | ${range(d)} |`;
      }),
      '',
      `C. Hot and cold: per-call wall time, p50 of ${COLD_CALLS} calls, median over rounds; before each call (not timed) nothing (*hot*), or a write to every 64th byte of ${EVICT_SIZES.map((b) => `${b / 1024 / 1024} MB`).join(' or ')}, which evicts this core's L1/L2 (2 MB) or its caches and much of L3 (64 MB), as a loopback call's HTTP work, the kernel and the other processes do between two calls:`,
      '',
      `| call | hot p50 µs | ${EVICT_SIZES.map((b) => `after ${b / 1024 / 1024} MB p50 µs`).join(' | ')} |`,
      `|---|--:|${EVICT_SIZES.map(() => '--:').join('|')}|`,
      ...coldCalls.map((c) => {
        const xs = hotCold.get(c.name)!;
        return `| ${c.name} | ${xs.map((x) => median(x).toFixed(1)).join(' | ')} |`;
      }),
      '',
      `D. Streams over a fake fetch (an SSE body: a role chunk, N text deltas, the finish and the usage chunks), ${STREAMS} streams per round, each read to the end:`,
      '',
      '| stream | CPU µs per stream | router − SDK, same round, µs | range of that difference |',
      '|---|--:|--:|--:|',
      ...streamCalls.map((c) => {
        const d = streamDelta.get(c.n)!;
        return `| ${c.name} | ${median(streamCpu.get(c.name)!).toFixed(1)} | ${c.name.startsWith('router') ? median(d).toFixed(1) : ''} | ${c.name.startsWith('router') ? range(d) : ''} |`;
      }),
      '',
      `Per text part, what router.stream() adds to the SDK's stream (the slope between ${fewParts} and ${manyParts} parts, per round): median ${median(perPart).toFixed(2)} µs (${range(perPart)}); per stream at ${fewParts} parts: ${median(streamDelta.get(fewParts)!).toFixed(1)} µs.`,
      ...(evictSum < 0 ? ['unreachable'] : []),
    ].join('\n'),
  );
} finally {
  await Promise.all(Object.values(routers).map((r) => r.close()));
}
