/**
 * Where the loopback gap between router.complete() and the direct OpenAI SDK call goes: the
 * direct SDK with and without each thing the router adds around it (request options, a
 * signal, an AbortController and a deadline timer per call), and the router with the
 * built-in adapter, with a hand-written adapter (with and without the signal), and with an
 * in-memory adapter followed by a direct SDK call. The emulator runs in a process of its
 * own (bench/emulator-process.mjs), with no added latency. Variants run interleaved in
 * rotating order, several rounds; figures are medians over rounds.
 *
 * The measure that matters is this process's CPU time per call (`process.cpuUsage()`):
 * what the client spends, without the wait for the emulator or the scheduler.
 *
 *   npx tsx bench/loopback-gap.ts                     # the table
 *   npx tsx bench/loopback-gap.ts --smoke             # a few calls, to check it runs
 *   npx tsx bench/loopback-gap.ts --keys sdk-stream-usage,router-stream   # some variants (and their base)
 *   npx tsx bench/loopback-gap.ts --only router --calls 20000 --profile /tmp/router.cpuprofile
 *                                                     # one variant in a loop; a CPU profile of the measured
 *                                                     # calls (summarise with bench/profile-summary.ts)
 *
 * It measures the built package (dist/): `npm run build` first.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import type { ProviderAdapter, ProviderRequest, ProviderResponse } from '../src/index.js';
import { startEmulatorProcess } from './emulator-child.js';
import { memoryAdapter as adapterFrom } from './tenant-fixtures.js';

const { createRouter, ProviderError } = (await import(
  new URL('../dist/index.js', import.meta.url).href
)) as typeof import('../src/index.js');

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const smoke = process.argv.includes('--smoke');
const only = arg('--only');
const ROUNDS = Number(arg('--rounds') ?? (smoke ? 2 : 10));
const CALLS = Number(arg('--calls') ?? (smoke ? 20 : 300));
const MODEL = 'gpt-6.2-sol';
const MAX_TOKENS = 64;
const PROMPTS = [
  'What is the status of order 1042?',
  'Summarise our refund policy in one sentence.',
  'Translate "good morning" into French.',
  'List three colours of the rainbow.',
];
const messagesOf = (i: number) => [{ role: 'user' as const, content: PROMPTS[i % PROMPTS.length]! }];

const emu = await startEmulatorProcess({ latencyMs: 0, perTokenMs: 0 });
const { apiKey, baseURL } = emu.providers.openai;

// ---------------------------------------------------------------- the direct SDK, plus one thing at a time

const direct = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
const sdkParams = (i: number) => ({
  model: MODEL,
  messages: messagesOf(i),
  max_completion_tokens: MAX_TOKENS,
});
const noop = () => {};

// ---------------------------------------------------------------- routers

/** A hand-written adapter over its own OpenAI client: the SDK call and a minimal mapping. */
function sdkAdapter(name: string, passSignal: boolean): ProviderAdapter {
  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
  return {
    name,
    type: 'openai-compatible',
    async complete(request: ProviderRequest): Promise<ProviderResponse> {
      const r = await client.chat.completions.create(
        {
          model: request.model,
          messages: request.messages as OpenAI.ChatCompletionMessageParam[],
          max_completion_tokens: request.maxTokens,
        },
        passSignal && request.signal ? { maxRetries: 0, signal: request.signal } : { maxRetries: 0 },
      );
      const usage = r.usage;
      return {
        content: r.choices[0]?.message.content ?? '',
        finishReason: 'stop',
        usage: {
          inputTokens: usage?.prompt_tokens ?? 0,
          outputTokens: usage?.completion_tokens ?? 0,
          totalTokens: usage?.total_tokens ?? 0,
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

const memoryAdapter = adapterFrom(
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
const routerBuiltin = createRouter({
  providers: { openai: { apiKey, baseURL } },
  tenants: { t: { model: MODEL } },
});
const routerCustom = (passSignal: boolean) => {
  const provider = passSignal ? 'sdksignal' : 'sdk';
  return createRouter({
    providers: { [provider]: { adapter: sdkAdapter(provider, passSignal) } },
    models: [spec(provider)],
    tenants: { t: { model: spec(provider).id } },
  });
};
const routerNoSignal = routerCustom(false);
const routerWithSignal = routerCustom(true);
const routerMemory = createRouter({
  providers: { mem: { adapter: memoryAdapter } },
  models: [spec('mem')],
  tenants: { t: { model: spec('mem').id } },
});
const routerCall = (router: typeof routerBuiltin) => async (i: number) => {
  const r = await router.complete({ tenant: 't', messages: messagesOf(i), maxTokens: MAX_TOKENS });
  if (!r.text) throw new Error('empty answer');
};

// ---------------------------------------------------------------- variants

/** `base`: the variant its difference is taken from (the direct SDK call, or its stream). */
type Variant = { name: string; key: string; call: (i: number) => Promise<void>; base?: string };
const expect = (text: string | null | undefined) => {
  if (!text) throw new Error('empty answer');
};
const ALL_VARIANTS: Variant[] = [
  {
    key: 'sdk',
    name: 'direct SDK: create(params)',
    call: async (i) =>
      expect((await direct.chat.completions.create(sdkParams(i))).choices[0]?.message.content),
  },
  {
    key: 'sdk-options',
    name: 'direct SDK + { maxRetries: 0 }',
    call: async (i) =>
      expect(
        (await direct.chat.completions.create(sdkParams(i), { maxRetries: 0 })).choices[0]?.message.content,
      ),
  },
  {
    key: 'sdk-signal',
    name: 'direct SDK + a new AbortController’s signal',
    call: async (i) => {
      const controller = new AbortController();
      const r = await direct.chat.completions.create(sdkParams(i), {
        maxRetries: 0,
        signal: controller.signal,
      });
      expect(r.choices[0]?.message.content);
    },
  },
  {
    key: 'sdk-timer',
    name: 'direct SDK + a 120 s timer set and cleared (no signal)',
    call: async (i) => {
      const timer = setTimeout(noop, 120_000);
      try {
        const r = await direct.chat.completions.create(sdkParams(i), { maxRetries: 0 });
        expect(r.choices[0]?.message.content);
      } finally {
        clearTimeout(timer);
      }
    },
  },
  {
    key: 'sdk-deadline',
    name: 'direct SDK + AbortController + 120 s timer + signal (the attempt deadline)',
    call: async (i) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 120_000);
      try {
        const r = await direct.chat.completions.create(sdkParams(i), {
          maxRetries: 0,
          signal: controller.signal,
        });
        expect(r.choices[0]?.message.content);
      } finally {
        clearTimeout(timer);
      }
    },
  },
  {
    key: 'router-mem',
    name: 'router.complete(), in-memory adapter (no HTTP)',
    call: routerCall(routerMemory),
  },
  {
    key: 'router-mem+sdk',
    name: 'router.complete() in-memory, then direct SDK create(params)',
    call: async (i) => {
      await routerCall(routerMemory)(i);
      expect((await direct.chat.completions.create(sdkParams(i))).choices[0]?.message.content);
    },
  },
  {
    key: 'router-adapter-nosignal',
    name: 'router.complete(), hand-written adapter, no signal to the SDK',
    call: routerCall(routerNoSignal),
  },
  {
    key: 'router-adapter-signal',
    name: 'router.complete(), hand-written adapter, signal to the SDK',
    call: routerCall(routerWithSignal),
  },
  { key: 'router', name: 'router.complete(), built-in OpenAI adapter', call: routerCall(routerBuiltin) },
  {
    key: 'sdk-stream',
    name: 'direct SDK, stream: true, read to the end',
    base: 'sdk-stream',
    call: async (i) => {
      const s = await direct.chat.completions.create({ ...sdkParams(i), stream: true });
      let text = '';
      for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text);
    },
  },
  {
    key: 'sdk-stream-usage',
    name: 'direct SDK stream + stream_options.include_usage (as the router asks, for billing)',
    base: 'sdk-stream',
    call: async (i) => {
      const s = await direct.chat.completions.create({
        ...sdkParams(i),
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text);
    },
  },
  {
    key: 'sdk-stream-usage-signals',
    name: 'the same + a call AbortController, and an attempt AbortController linked to it, its signal to the SDK',
    base: 'sdk-stream',
    call: async (i) => {
      const call = new AbortController();
      const attempt = new AbortController();
      const onAbort = () => attempt.abort(call.signal.reason);
      call.signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => attempt.abort(), 120_000);
      try {
        const s = await direct.chat.completions.create(
          { ...sdkParams(i), stream: true, stream_options: { include_usage: true } },
          { maxRetries: 0, signal: attempt.signal },
        );
        let text = '';
        for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? '';
        expect(text);
      } finally {
        clearTimeout(timer);
        call.signal.removeEventListener('abort', onAbort);
      }
    },
  },
  {
    key: 'router-stream',
    name: 'router.stream(), built-in OpenAI adapter, read to the end',
    base: 'sdk-stream',
    call: async (i) => {
      const s = routerBuiltin.stream({ tenant: 't', messages: messagesOf(i), maxTokens: MAX_TOKENS });
      let text = '';
      for await (const part of s) if (part.type === 'text') text += part.text;
      expect(text);
    },
  },
];
// --keys a,b,c: only these variants (each with the one its difference is taken from).
const keys = arg('--keys')?.split(',');
const VARIANTS = keys
  ? ALL_VARIANTS.filter(
      (v) =>
        keys.includes(v.key) || ALL_VARIANTS.some((w) => keys.includes(w.key) && (w.base ?? 'sdk') === v.key),
    )
  : ALL_VARIANTS;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

async function batch(v: Variant, calls: number, offset: number) {
  await emu.reset();
  const times: number[] = [];
  const usage0 = process.resourceUsage();
  const cpu0 = cpuNow();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await v.call(offset + i);
    times.push(performance.now() - t0);
  }
  const cpu = (cpuNow() - cpu0) / calls;
  const usage = process.resourceUsage();
  const span = await emu.reset();
  return {
    p50: median(times) * 1000,
    cpu,
    emuCpu: span.requests ? span.cpuUs / span.requests : Number.NaN,
    switches: (usage.voluntaryContextSwitches - usage0.voluntaryContextSwitches) / calls,
    involuntary: (usage.involuntaryContextSwitches - usage0.involuntaryContextSwitches) / calls,
  };
}

try {
  if (only) {
    // One variant in a loop: for --cpu-prof or perf.
    const v = VARIANTS.find((x) => x.key === only);
    if (!v) throw new Error(`--only: one of ${VARIANTS.map((x) => x.key).join(', ')}`);
    for (let i = 0; i < 2_000; i++) await v.call(i); // warm-up
    // --profile FILE: a CPU profile of the measured calls only (node:inspector), not of start-up and warm-up.
    const profileFile = arg('--profile');
    const session = profileFile ? new Session() : undefined;
    const post = (method: string, params?: object) =>
      new Promise<unknown>((resolve, reject) =>
        session!.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
      );
    if (session) {
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: Number(arg('--interval') ?? 100) });
      await post('Profiler.start');
    }
    const start = performance.now();
    const r = await batch(v, CALLS, 0);
    const seconds = (performance.now() - start) / 1000;
    if (session) {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      writeFileSync(profileFile!, JSON.stringify({ ...profile, calls: CALLS }));
      session.disconnect();
    }
    console.log(
      `${v.key}: ${CALLS} calls in ${seconds.toFixed(2)} s, p50 ${r.p50.toFixed(0)} µs, client CPU ${r.cpu.toFixed(0)} µs per call, emulator CPU ${r.emuCpu.toFixed(0)} µs per request, context switches per call ${r.switches.toFixed(2)} voluntary, ${r.involuntary.toFixed(2)} involuntary`,
    );
  } else {
    for (const v of VARIANTS) for (let i = 0; i < (smoke ? 5 : 300); i++) await v.call(i);
    const stats = new Map(
      VARIANTS.map((v) => [
        v.key,
        { p50: [] as number[], cpu: [] as number[], emu: [] as number[], switches: [] as number[] },
      ]),
    );
    const deltaCpu = new Map(VARIANTS.map((v) => [v.key, [] as number[]]));
    const deltaP50 = new Map(VARIANTS.map((v) => [v.key, [] as number[]]));
    for (let round = 0; round < ROUNDS; round++) {
      const cpuOf = new Map<string, number>();
      const p50Of = new Map<string, number>();
      for (let k = 0; k < VARIANTS.length; k++) {
        const v = VARIANTS[(k + round) % VARIANTS.length]!;
        const r = await batch(v, CALLS, round * CALLS);
        const st = stats.get(v.key)!;
        st.p50.push(r.p50);
        st.cpu.push(r.cpu);
        st.emu.push(r.emuCpu);
        st.switches.push(r.switches);
        cpuOf.set(v.key, r.cpu);
        p50Of.set(v.key, r.p50);
      }
      for (const v of VARIANTS) {
        deltaCpu.get(v.key)!.push(cpuOf.get(v.key)! - cpuOf.get(v.base ?? 'sdk')!);
        deltaP50.get(v.key)!.push(p50Of.get(v.key)! - p50Of.get(v.base ?? 'sdk')!);
      }
    }
    const lines = [
      `${os.cpus()[0]?.model ?? 'CPU'} (${os.cpus().length} cores), Node ${process.version}; ${ROUNDS} rounds × ${CALLS} sequential calls per variant, interleaved in rotating order; the emulator in its own process, no added latency. Median over rounds (min–max of the per-round difference in brackets). Differences are to the direct SDK call, for the streams to the direct SDK stream.`,
      '',
      '| variant | p50 µs | p50 − direct SDK, same round | client CPU µs per call | CPU − direct SDK, same round | emulator CPU µs per request | voluntary context switches per call |',
      '|---|--:|--:|--:|--:|--:|--:|',
      ...VARIANTS.map((v) => {
        const st = stats.get(v.key)!;
        const d = deltaCpu.get(v.key)!;
        const dp = deltaP50.get(v.key)!;
        return `| ${v.name} | ${median(st.p50).toFixed(0)} | ${median(dp).toFixed(0)} (${Math.min(...dp).toFixed(0)}–${Math.max(...dp).toFixed(0)}) | ${median(st.cpu).toFixed(0)} | ${median(d).toFixed(0)} (${Math.min(...d).toFixed(0)}–${Math.max(...d).toFixed(0)}) | ${Number.isNaN(median(st.emu)) ? '–' : median(st.emu).toFixed(0)} | ${median(st.switches).toFixed(2)} |`;
      }),
    ];
    console.log(lines.join('\n'));
  }
} finally {
  await Promise.all([routerBuiltin, routerNoSignal, routerWithSignal, routerMemory].map((r) => r.close()));
  await emu.close();
}
