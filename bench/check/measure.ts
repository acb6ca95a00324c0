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
import type { Router } from '../../src/index.js';
import { overheadMessages, overheadRouters } from '../overhead-routers.js';
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
  const routeplane = (await import(
    new URL('../../dist/index.js', import.meta.url).href
  )) as typeof import('../../src/index.js');
  const { minimal, audited, deployed, full, close } = overheadRouters(routeplane);
  const via =
    (router: Router): Call =>
    (i) =>
      router.complete({ tenant: 't', maxTokens: 64, messages: overheadMessages(i) });
  return {
    calls: {
      minimal: via(minimal),
      'minimal+audit': via(audited),
      'deployments-3': via(deployed),
      full: via(full),
    },
    close,
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
