/**
 * The routers that bench/overhead.ts measures and bench/check (the benchmark guard) checks,
 * built in one place so that the guard always checks what the overhead table reports.
 * `routeplane` is the built package (dist/), imported by the caller.
 */
import type { ProviderAdapter, ProviderResponse, Router } from '../src/index.js';

type Routeplane = Pick<typeof import('../src/index.js'), 'createRouter' | 'ProviderError'>;

const response: ProviderResponse = {
  content: 'ok',
  finishReason: 'stop',
  usage: { inputTokens: 20, outputTokens: 5, totalTokens: 25 },
};

export interface OverheadRouters {
  /** A provider that answers at once from memory: what is measured is everything around it. */
  adapter: ProviderAdapter;
  /** Tenant `t`, model `mem-a`, no option: the stages with nothing to do. */
  minimal: Router;
  /** The same with an audit listener: the difference is what events cost. */
  audited: Router;
  /** The minimal stack with each model served by three weighted deployments. */
  deployed: Router;
  /** Every stage on: tenant, access, PII guardrail, prompt, cache, rate limit, strategy, budget, queue, execute, audit. */
  full: Router;
  close(): Promise<void>;
}

export function overheadRouters({ createRouter, ProviderError }: Routeplane): OverheadRouters {
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
  return {
    adapter,
    minimal,
    audited,
    deployed,
    full,
    close: async () => {
      await Promise.all([minimal.close(), audited.close(), deployed.close(), full.close()]);
    },
  };
}

/** Call `i` of a variant: a fresh prompt each call, so a cache misses, as the targets ask. */
export const overheadMessages = (i: number) => [
  { role: 'user' as const, content: `What is the status of order ${i}?` },
];
