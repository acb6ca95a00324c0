/**
 * The added cost of the AI SDK surface: `generateText({ model: aiSdkModel(router) })` next
 * to `router.complete()`, and `streamText` (drained) next to draining `router.stream()`, on
 * loopback against the emulator with no added latency, so the difference is the adapter's
 * own cost plus the AI SDK's. For scale, the AI SDK with its own OpenAI provider
 * (`@ai-sdk/openai`, `provider.chat()`) straight to the emulator, without the router.
 * Contenders alternate in rotating order, several rounds; each figure is the median over
 * rounds of the per-call p50 within the round; the ratio is the median of the per-round
 * ratios to the router's own call.
 *
 * It measures the built package (dist/): `npm run build` first.
 *
 *   npx tsx bench/ai-sdk.ts            # print
 *   npx tsx bench/ai-sdk.ts --smoke    # a few calls, to check it runs
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import type { Router } from '../src/index.js';

const { createRouter } = (await import(
  new URL('../dist/index.js', import.meta.url).href
)) as typeof import('../src/index.js');
const { createEmulator } = (await import(
  new URL('../dist/testing/index.js', import.meta.url).href
)) as typeof import('../src/testing/index.js');
const { aiSdkModel } = (await import(
  new URL('../dist/ai-sdk/index.js', import.meta.url).href
)) as typeof import('../src/ai-sdk/index.js');

const smoke = process.argv.includes('--smoke');
const ROUNDS = smoke ? 2 : 10;
const CALLS = smoke ? 5 : 200;
const WARMUP = smoke ? 2 : 100;
const PROMPT = 'Summarise our refund policy in one sentence, please.';
const messages = [{ role: 'user' as const, content: PROMPT }];

type Contender = { name: string; run: () => Promise<unknown> };

function contenders(router: Router, openaiOptions: { apiKey: string; baseURL: string }) {
  const model = aiSdkModel(router, { tenant: 'acme' });
  const direct = createOpenAI(openaiOptions).chat('gpt-6.2-sol');
  return {
    complete: [
      { name: 'router.complete()', run: () => router.complete({ tenant: 'acme', messages, maxTokens: 64 }) },
      {
        name: 'generateText(aiSdkModel)',
        run: () => generateText({ model, prompt: PROMPT, maxOutputTokens: 64 }),
      },
      {
        name: 'generateText(@ai-sdk/openai)',
        run: () => generateText({ model: direct, prompt: PROMPT, maxOutputTokens: 64, maxRetries: 0 }),
      },
    ],
    stream: [
      {
        name: 'router.stream() drained',
        run: async () => {
          const stream = router.stream({ tenant: 'acme', messages, maxTokens: 64 });
          for await (const _part of stream);
          return stream.result;
        },
      },
      {
        name: 'streamText(aiSdkModel) drained',
        run: async () => {
          const result = streamText({ model, prompt: PROMPT, maxOutputTokens: 64 });
          await result.consumeStream();
          return result.usage;
        },
      },
      {
        name: 'streamText(@ai-sdk/openai) drained',
        run: async () => {
          const result = streamText({ model: direct, prompt: PROMPT, maxOutputTokens: 64, maxRetries: 0 });
          await result.consumeStream();
          return result.usage;
        },
      },
    ],
  };
}

/** The p50 of `calls` sequential calls, in ms. */
async function p50Ms(contender: Contender, calls: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await contender.run();
    times.push(performance.now() - start);
  }
  return median(times);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Per contender: the median p50 over rounds, and the median per-round ratio to the first. */
async function measure(group: Contender[]): Promise<{ p50: number; ratio: number }[]> {
  for (const c of group) await p50Ms(c, WARMUP);
  const samples: number[][] = group.map(() => []);
  const ratios: number[][] = group.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const p50s: number[] = [];
    for (let k = 0; k < group.length; k++) {
      const i = (k + round) % group.length;
      p50s[i] = await p50Ms(group[i]!, CALLS);
    }
    p50s.forEach((m, i) => {
      samples[i]!.push(m);
      ratios[i]!.push(m / p50s[0]!);
    });
  }
  return group.map((_, i) => ({ p50: median(samples[i]!), ratio: median(ratios[i]!) }));
}

const emu = await createEmulator();
const router = createRouter({
  providers: emu.providers,
  tenants: { acme: { strategy: 'force_model', model: 'gpt-6.2-sol' } },
});
// Quiet the AI SDK's console warnings (none are expected; any would skew the figures).
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
try {
  const { complete, stream } = contenders(router, emu.providers.openai);
  console.log(
    `node ${process.version}, ${ROUNDS} rounds × ${CALLS} calls, emulator on loopback, no added latency`,
  );
  for (const group of [complete, stream]) {
    const figures = await measure(group);
    const base = figures[0]!.p50;
    group.forEach((c, i) => {
      const { p50, ratio } = figures[i]!;
      const added =
        i === 0
          ? ''
          : `  ${p50 >= base ? '+' : ''}${((p50 - base) * 1000).toFixed(0)} µs, ×${ratio.toFixed(2)}`;
      console.log(`${c.name.padEnd(36)} p50 ${(p50 * 1000).toFixed(0).padStart(6)} µs${added}`);
    });
  }
} finally {
  await router.close();
  await emu.close();
}
