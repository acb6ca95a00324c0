/**
 * What bench/scale.ts and bench/tenant-heap.ts share: an in-memory provider, a small
 * catalog, a mix of tenant policies as a config loader would build them, and a heap
 * reading after forced full GCs.
 */
import type { ModelSpec, ProviderAdapter, ProviderResponse, TenantPolicy } from '../src/index.js';

/** A provider that answers at once from memory with `content`. */
export function memoryAdapter(
  name: string,
  content: string,
  classify: ProviderAdapter['classify'],
): ProviderAdapter {
  const response: ProviderResponse = {
    content,
    finishReason: 'stop',
    usage: { inputTokens: 20, outputTokens: 5, totalTokens: 25 },
  };
  return {
    name,
    type: 'openai-compatible',
    complete: () => Promise.resolve(response),
    async *stream() {
      yield { type: 'text', text: content };
      yield { type: 'finish', finishReason: 'stop', usage: response.usage };
    },
    classify,
  };
}

export const models: ModelSpec[] = ['a', 'b', 'c', 'd'].map((id, i) => ({
  id: `mem-${id}`,
  provider: 'mem',
  region: i % 2 === 0 ? 'us' : 'eu',
  quality: 0.6 + i * 0.1,
  pricing: { inputPerMTok: 1 + i, outputPerMTok: 2 + i },
}));

const STRATEGIES = ['balanced', 'lowest_cost', 'max_reliability'] as const;
const REGIONS = [['us'], ['eu'], ['us', 'eu']];

/**
 * Distinct small policies, as a config loader would build them (fresh arrays and objects per
 * tenant): a strategy and allowed regions for all, a monthly budget for half, a rate limit for
 * a quarter; every tenth forces a model with a fallback.
 */
export function makePolicies(n: number): Record<string, TenantPolicy> {
  const tenants: Record<string, TenantPolicy> = {};
  for (let i = 0; i < n; i++) {
    const policy: TenantPolicy =
      i % 10 === 9
        ? { strategy: 'force_model', model: 'mem-a', fallbacks: ['mem-c'], allowedRegions: ['us'] }
        : { strategy: STRATEGIES[i % 3]!, allowedRegions: [...REGIONS[i % 3]!] };
    if (i % 2 === 0) policy.budget = { limitUsd: 50 + (i % 200), period: 'month' };
    if (i % 4 === 1) policy.rateLimit = { requestsPerMinute: 1_000_000 + (i % 100) };
    tenants[idOf(i)] = policy;
  }
  return tenants;
}

export const idOf = (i: number) => `tenant-${i.toString().padStart(6, '0')}`;

/**
 * `heapUsed` plus `arrayBuffers` after forced full GCs (needs `--expose-gc`): the JS heap and
 * the typed arrays' memory, which lives outside it (the memory store's settled-id hashes).
 */
export async function heap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}
