/**
 * The yardstick of `npm run bench:check`: a fixed piece of JavaScript, independent of
 * routeplane, that costs about what a router call costs, and in the same ways. Each router
 * variant's per-call time is divided by this workload's, measured interleaved in the same
 * process, so the ratio holds still when the machine gets slower or faster.
 *
 * It mirrors the kinds of work on the router's hot path rather than any one of them: a
 * JSON round trip of the request, an onion of twelve async middlewares (each awaits the
 * next, looks up a Map, spreads an object and pushes to an array), a sha256 of the prompt
 * (node:crypto, as the cache key) and a result built by spreading. Measured against other
 * yardsticks (16 runs on a busy 2-core machine, 16 more with two busy loops beside them),
 * this mix gave the router's ratios the smallest spread from run to run (2–3%) and the
 * smallest shift under load (+3–5%); a bare chain of awaits, or the adapter called directly
 * (~0.1 µs, one resolved promise), about twice the spread and +6% under load; a JSON round
 * trip alone, or sha256 alone, in between.
 *
 * Never change it without regenerating the committed figures: every ratio is in its units.
 */
import { createHash } from 'node:crypto';

interface Context {
  n: number;
  request: { tenant: string; maxTokens: number; messages: { role: string; content: string }[] };
  meta: Record<string, number>;
  trail: string[];
  out: Record<string, { stage: number; at: number }>;
}

type Step = (ctx: Context, next: () => Promise<void>) => Promise<void>;

const table = new Map<string, { weight: number; tier: string }>();
for (let i = 0; i < 64; i++) table.set(`key-${i}`, { weight: i, tier: i % 2 ? 'a' : 'b' });

const steps: Step[] = Array.from({ length: 12 }, (_, s): Step => {
  const name = `s${s}`;
  return async (ctx, next) => {
    const entry = table.get(`key-${(s * 5 + ctx.n) & 63}`)!;
    ctx.meta = { ...ctx.meta, [name]: entry.weight };
    ctx.trail.push(entry.tier);
    await next();
    ctx.out[name] = { stage: s, at: ctx.trail.length };
  };
});

function run(ctx: Context): Promise<void> {
  const dispatch = (i: number): Promise<void> =>
    i === steps.length ? Promise.resolve() : steps[i]!(ctx, () => dispatch(i + 1));
  return dispatch(0);
}

const usage = { inputTokens: 20, outputTokens: 5, totalTokens: 25 };

/** One call of the reference workload; `i` varies the input as the router variants' prompts do. */
export async function referenceCall(i: number): Promise<unknown> {
  const request = JSON.parse(
    JSON.stringify({
      tenant: 't',
      maxTokens: 64,
      messages: [{ role: 'user', content: `What is the status of order ${i}?` }],
    }),
  ) as Context['request'];
  const ctx: Context = { n: i, request, meta: {}, trail: [], out: {} };
  await run(ctx);
  const key = createHash('sha256').update(request.messages[0]!.content).digest('hex');
  return { content: 'ok', finishReason: 'stop', usage, key, meta: ctx.meta };
}
