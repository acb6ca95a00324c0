import type { RouterErrorCode } from '../../src/errors.js';
import { AuditChain } from '../../src/events/audit-chain.js';
import type { AuditRecord } from '../../src/events/types.js';

/** A tenant id that is markup, for the report's escaping tests. */
export const HOSTILE_TENANT =
  '<img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script>\u2028';

const MODELS = [
  { id: 'claude-sonnet-5-5', provider: 'anthropic', price: 0.012 },
  { id: 'gpt-6.2-sol', provider: 'openai', price: 0.009 },
  { id: 'mistral-small-latest', provider: 'mistral', price: 0.001 },
  { id: 'claude-haiku-5-5', provider: 'anthropic', price: 0.003 },
];
const DENIALS: RouterErrorCode[] = ['budget_exceeded', 'rate_limited', 'policy_denied'];

/** mulberry32: a small seeded generator, so a log is the same every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  records: number;
  tenants?: readonly string[];
  /** Epoch ms of the first record; records are spread evenly over `spanMs`. */
  start?: number;
  spanMs?: number;
  /** Link the records into per-tenant hash chains (as `audit: { chain: true }` does). */
  chain?: boolean;
  seed?: number;
}

/**
 * Generated audit records, in time order: tenants with different traffic shares, successes
 * (some cached, some after a fallback), denials and failures by code, and latencies that
 * depend on the model.
 */
export function* generateAuditRecords(options: GenerateOptions): Generator<AuditRecord> {
  const tenants = options.tenants ?? ['acme', 'globex', 'initech'];
  const start = options.start ?? Date.UTC(2026, 10, 2);
  const span = options.spanMs ?? 7 * 24 * 3_600_000;
  const rand = random(options.seed ?? 42);
  const chain = options.chain ? new AuditChain() : undefined;
  let out: AuditRecord | undefined;
  const deliver = (r: AuditRecord) => {
    out = r;
  };
  for (let i = 0; i < options.records; i++) {
    // Tenant i of n gets a share in proportion to 1/(i+1).
    let pick = rand() * tenants.reduce((n, _, k) => n + 1 / (k + 1), 0);
    let t = 0;
    while (t < tenants.length - 1 && pick > 1 / (t + 1)) pick -= 1 / (t++ + 1);
    const tenant = tenants[t]!;
    const timestamp = Math.floor(start + (span * i) / Math.max(1, options.records));
    const roll = rand();
    const model = MODELS[(t + Math.floor(rand() * 3)) % MODELS.length]!;
    const base: AuditRecord = {
      requestId: `req-${i}`,
      timestamp,
      tenant,
      outcome: 'success',
      costUsd: 0,
      latencyMs: 0,
      cached: false,
      attempts: [],
      fallbacks: [],
      stream: roll < 0.5,
    };
    let record: AuditRecord;
    if (roll < 0.06) {
      record = {
        ...base,
        outcome: 'denied',
        errorCode: DENIALS[Math.floor(rand() * DENIALS.length)]!,
        latencyMs: 1,
      };
    } else if (roll < 0.08) {
      record = {
        ...base,
        outcome: 'failed',
        errorCode: 'providers_exhausted',
        latencyMs: 2000 + rand() * 3000,
      };
    } else {
      const cached = rand() < 0.2;
      const fellBack = !cached && rand() < 0.05;
      const latencyMs = cached ? 2 + rand() * 5 : 300 + rand() * rand() * 4000 * model.price * 100;
      record = {
        ...base,
        model: model.id,
        provider: model.provider,
        costUsd: cached ? 0 : model.price * (0.5 + rand()),
        latencyMs: Math.round(latencyMs),
        ttftMs: base.stream ? Math.round(latencyMs * (0.1 + rand() * 0.3)) : undefined,
        cached,
        fallbacks: fellBack ? [MODELS[(t + 3) % MODELS.length]!.id] : [],
        finishReason: 'stop',
      };
      if (record.ttftMs === undefined) delete record.ttftMs;
    }
    if (chain) {
      chain.link(record, deliver);
      yield out!;
    } else yield record;
  }
}
