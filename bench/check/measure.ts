/**
 * The measuring half of `npm run bench:check` (bench/check/check.ts forks it, one fresh
 * process per attempt): the router variants of bench/overhead.ts, built from dist/, timed
 * against the reference workload (./reference.ts).
 *
 * A round runs, for each variant in turn, a chunk of reference calls, a chunk of that
 * variant's calls and another chunk of reference calls; the round's ratio is the variant's
 * per-call time over the mean of the two reference chunks around it. Chunks are short
 * (a few ms), so whatever slows the machine for a while (a neighbour's burst, a throttled
 * vCPU) slows both sides of a ratio alike. A chunk's per-call time is the mean of its fastest
 * 90% of calls: it leaves out the calls a preemption or a GC pause landed on, which are
 * noise here, and keeps any cost that one call in ten or more pays.
 *
 *   tsx bench/check/measure.ts '{"variants":["minimal"],"rounds":20,"chunk":250,"warmup":2000}'
 */
import type { ProviderAdapter, ProviderResponse, Router } from '../../src/index.js';
import { referenceCall } from './reference.js';

/** What the parent asks for. */
export interface MeasureRequest {
  variants: string[];
  rounds: number;
  chunk: number;
  warmup: number;
}

/** What the worker answers: per variant, one ratio per round; the reference's µs per call, per round. */
export interface MeasureResult {
  ratios: Record<string, number[]>;
  referenceUs: number[];
  variantUs: Record<string, number[]>;
}

type Call = (i: number) => Promise<unknown>;

async function buildVariants(): Promise<{ calls: Record<string, Call>; close: () => Promise<void> }> {
  // The built package, as users run it (types from the source it is built from).
  const { createRouter, ProviderError } = (await import(
    new URL('../../dist/index.js', import.meta.url).href
  )) as typeof import('../../src/index.js');

  const response: ProviderResponse = {
    content: 'ok',
    finishReason: 'stop',
    usage: { inputTokens: 20, outputTokens: 5, totalTokens: 25 },
  };
  const memoryAdapter = (name: string): ProviderAdapter => ({
    name,
    type: 'openai-compatible',
    complete: () => Promise.resolve(response),
    async *stream() {
      yield { type: 'text', text: 'ok' };
      yield { type: 'finish', finishReason: 'stop', usage: response.usage };
    },
    classify: (error: unknown) => new ProviderError('server_error', String(error), { provider: name }),
  });
  const adapter = memoryAdapter('mem');
  const models = ['a', 'b', 'c'].map((id, i) => ({
    id: `mem-${id}`,
    provider: 'mem',
    quality: 0.6 + i * 0.1,
    pricing: { inputPerMTok: 1 + i, outputPerMTok: 2 + i },
  }));
  const minimalRouter = (): Router =>
    createRouter({ providers: { mem: { adapter } }, models, tenants: { t: { model: 'mem-a' } } });

  const minimal = minimalRouter();
  const audited = minimalRouter();
  audited.on('audit', () => {});
  const deployed = createRouter({
    providers: {
      mem1: { adapter: memoryAdapter('mem1') },
      mem2: { adapter: memoryAdapter('mem2') },
      mem3: { adapter: memoryAdapter('mem3') },
    },
    models: models.map(({ provider: _provider, ...spec }) => ({
      ...spec,
      deployments: ['mem1', 'mem2', 'mem3'].map((provider, i) => ({ provider, weight: 3 - i })),
    })),
    tenants: { t: { model: 'mem-a' } },
  });
  // Every stage on; a fresh prompt each call, so the cache misses.
  const full = createRouter({
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
  full.on('audit', () => {});

  const messages = (i: number) => [{ role: 'user' as const, content: `What is the status of order ${i}?` }];
  const via =
    (router: Router): Call =>
    (i) =>
      router.complete({ tenant: 't', maxTokens: 64, messages: messages(i) });
  return {
    calls: {
      minimal: via(minimal),
      'minimal+audit': via(audited),
      'deployments-3': via(deployed),
      full: via(full),
    },
    close: async () => {
      await Promise.all([minimal.close(), audited.close(), deployed.close(), full.close()]);
    },
  };
}

/** Mean µs per call of the fastest 90% of one chunk of sequential calls. */
async function timeChunk(call: Call, offset: number, times: Float64Array): Promise<number> {
  for (let i = 0; i < times.length; i++) {
    const start = performance.now();
    await call(offset + i);
    times[i] = performance.now() - start;
  }
  times.sort();
  const kept = Math.floor(times.length * 0.9);
  let sum = 0;
  for (let i = 0; i < kept; i++) sum += times[i]!;
  return (sum / kept) * 1_000;
}

/** Runs the rounds; see the file's comment for what a round is. */
async function measure(request: MeasureRequest): Promise<MeasureResult> {
  const { calls, close } = await buildVariants();
  for (const name of request.variants) if (!calls[name]) throw new Error(`unknown variant '${name}'`);
  const times = new Float64Array(request.chunk);
  // Distinct prompts everywhere: a cache hit or a warm string would flatter a variant.
  let offset = 0;
  const next = () => {
    offset += request.chunk;
    return offset;
  };

  for (let done = 0; done < request.warmup; done += request.chunk) {
    await timeChunk(referenceCall, next(), times);
    for (const name of request.variants) await timeChunk(calls[name]!, next(), times);
  }

  const result: MeasureResult = { ratios: {}, referenceUs: [], variantUs: {} };
  for (const name of request.variants) {
    result.ratios[name] = [];
    result.variantUs[name] = [];
  }
  for (let round = 0; round < request.rounds; round++) {
    // Each variant takes each place in the round in turn.
    const n = request.variants.length;
    let before = await timeChunk(referenceCall, next(), times);
    for (let k = 0; k < n; k++) {
      const name = request.variants[(round + k) % n]!;
      const us = await timeChunk(calls[name]!, next(), times);
      const after = await timeChunk(referenceCall, next(), times);
      result.ratios[name]!.push(us / ((before + after) / 2));
      result.variantUs[name]!.push(us);
      result.referenceUs.push(after);
      before = after;
    }
  }
  await close();
  return result;
}

// The request as the first argument; the result to the parent process, or to stdout.
const result = await measure(JSON.parse(process.argv[2] ?? '{}') as MeasureRequest);
if (process.send) process.send(result);
else console.log(JSON.stringify(result));
