import {
  createRouter,
  type ProviderAdapter,
  ProviderError,
  type ProviderResponse,
  type Router,
  type TenantPolicy,
} from 'routeplane';
import { afterEach, describe, expect, it } from 'vitest';

// Heap per active tenant, and that calls add none (bench/tenant-heap.ts measures it at
// 100,000 tenants). Heap is `heapUsed` plus `arrayBuffers` (typed arrays) after forced full
// GCs: vitest runs with --expose-gc.

const gc = (globalThis as { gc?: () => void }).gc;

async function heap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

const response: ProviderResponse = {
  content: 'ok',
  finishReason: 'stop',
  usage: { inputTokens: 20, outputTokens: 5, totalTokens: 25 },
};
const adapter: ProviderAdapter = {
  name: 'mem',
  type: 'openai-compatible',
  complete: () => Promise.resolve(response),
  async *stream() {
    yield { type: 'text', text: 'ok' };
  },
  classify: (error) => new ProviderError('server_error', String(error), { provider: 'mem' }),
};
const models = [
  { id: 'mem-a', provider: 'mem', region: 'us', pricing: { inputPerMTok: 1, outputPerMTok: 2 } },
  { id: 'mem-b', provider: 'mem', region: 'eu', pricing: { inputPerMTok: 2, outputPerMTok: 3 } },
];

const TENANTS = 20_000;
const idOf = (i: number) => `tenant-${i.toString().padStart(6, '0')}`;

/** Fresh objects per tenant, as a config loader builds them: a budget for half, a rate limit for a quarter. */
function policies(count: number): Record<string, TenantPolicy> {
  const tenants: Record<string, TenantPolicy> = {};
  for (let i = 0; i < count; i++) {
    const policy: TenantPolicy = {
      strategy: i % 2 ? 'lowest_cost' : 'balanced',
      allowedRegions: ['us', 'eu'],
    };
    if (i % 2 === 0) policy.budget = { limitUsd: 50 + (i % 20), period: 'month' };
    if (i % 4 === 1) policy.rateLimit = { requestsPerMinute: 1_000_000 };
    tenants[idOf(i)] = policy;
  }
  return tenants;
}

let n = 0;
const ask = (router: Router, tenant: string) =>
  router.complete({ tenant, maxTokens: 16, messages: [{ role: 'user', content: `order ${n++}` }] });

const routers: Router[] = [];
afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
});

describe.skipIf(!gc)('heap per active tenant', () => {
  it('is at most 300 bytes, and stays flat as calls keep coming', async () => {
    // Compiled code and feedback grow by hundreds of KiB while the paths warm up: warm them
    // on a router of their own first, so what is measured is the tenants' state.
    const warm = createRouter({ providers: { mem: { adapter } }, models, tenants: policies(2_000) });
    for (let round = 0; round < 3; round++) for (let i = 0; i < 2_000; i++) await ask(warm, idOf(i));
    await warm.close();
    const router = createRouter({ providers: { mem: { adapter } }, models, tenants: policies(TENANTS) });
    routers.push(router);
    await ask(router, idOf(0));
    const idle = await heap();
    const perTenant: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < TENANTS; i++) await ask(router, idOf(i));
      perTenant.push(((await heap()) - idle) / TENANTS);
    }
    // About 230 bytes here: a reference to a shared compiled policy, a budget account, a GCRA
    // key for a quarter of them. Before: 1,860 bytes after the first round, 500 more a round.
    expect(perTenant[0]).toBeLessThanOrEqual(300);
    expect(perTenant[3]! - perTenant[0]!).toBeLessThanOrEqual(20);
  });

  it('keeps nothing per call: 50,000 more calls of one tenant leave the heap where it was', async () => {
    const router = createRouter({
      providers: { mem: { adapter } },
      models,
      tenants: { acme: { budget: { limitUsd: 1e6, period: 'day' } } },
    });
    routers.push(router);
    for (let i = 0; i < 5_000; i++) await ask(router, 'acme');
    const before = await heap();
    for (let i = 0; i < 50_000; i++) await ask(router, 'acme');
    // A settled-id set, an event buffer or a per-request key would keep 80 bytes a call or
    // more (4 MB); compiled code still moves by a few hundred KiB either way.
    expect((await heap()) - before).toBeLessThan(1024 * 1024);
  });
});
