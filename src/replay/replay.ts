import { actualCostNano } from '../catalog/estimate.js';
import { RouterError, type RouterErrorCode } from '../errors.js';
import type { AuditRecord } from '../events/types.js';
import { REPLAY_PROBE, type ReplayProbe, type ReplayProbeResult } from '../pipeline/replay-probe.js';
import type { Router } from '../router.js';
import { fromNano, toNano } from '../store/types.js';
import { BudgetTimeline, RateTimeline } from './limits.js';

/** Options of `replayAudit`. */
export interface ReplayOptions {
  /** Changed calls kept per tenant as examples (`TenantReplay.changedCalls`). Default 20. */
  sampleSize?: number;
  /** Called after every `progressEvery` records with the count so far (a progress bar). */
  onProgress?: (records: number) => void;
  /** Default 10 000. */
  progressEvery?: number;
}

/** A call whose outcome the proposed policy changes: another model, or a denial. */
export interface ChangedCall {
  requestId: string;
  timestamp: number;
  /** The model that served it (absent when the recorded call did not reach one). */
  from?: string;
  /** The model the proposed policy would choose first; absent when it denies the call. */
  to?: string;
  /** Why the proposed policy denies it. */
  code?: RouterErrorCode;
  reason?: string;
}

/** One tenant's replay. Costs in USD, exact to the nano-dollar. */
export interface TenantReplay {
  tenant: string;
  /** Records replayed. */
  calls: number;
  /** What the recorded calls were charged (`costUsd` summed). */
  baselineCostUsd: number;
  /**
   * What they would cost under the proposed policy: each successful call's recorded usage
   * priced on the model the proposed policy chooses (its reservation when the usage was
   * estimated; 0 when it is denied, or answered from the cache that the proposed policy
   * keeps too). Failed calls keep their recorded cost; calls denied in the log and allowed
   * now count 0, their usage unknown.
   */
  proposedCostUsd: number;
  /** Successful calls that would go to another model first, by pair, most first. */
  modelChanges: { from: string; to: string; calls: number }[];
  /** Calls the log shows answered or failed that the proposed policy would deny, by code, most first. */
  newDenials: { code: RouterErrorCode; calls: number }[];
  /** Calls the log shows denied that the proposed policy would let through. */
  newlyAllowed: number;
  /** Calls that would wait for a rate-limit slot (`onLimit: 'wait'`) where the log shows none. */
  rateLimitWaits: number;
  /** The first `sampleSize` changed calls (model change or new denial), in log order. */
  changedCalls: ChangedCall[];
}

/** What `replayAudit` returns: totals over every tenant, then each tenant. */
export interface ReplayReport {
  /** Records replayed. */
  calls: number;
  /** Records left out: without `features` (written before routeplane recorded them) or without a tenant. */
  skipped: number;
  baselineCostUsd: number;
  proposedCostUsd: number;
  /** Successful calls that would go to another model first. */
  modelChanges: number;
  newDenials: { code: RouterErrorCode; calls: number }[];
  newlyAllowed: number;
  /** Epoch ms of the first and the last record replayed (absent when none was). */
  from?: number;
  to?: number;
  /** Tenants by name. */
  byTenant: TenantReplay[];
}

/** Running totals of one tenant, in nano-USD; bounded whatever the log's length. */
interface Aggregate {
  calls: number;
  baselineNano: number;
  proposedNano: number;
  modelChanges: Map<string, { from: string; to: string; calls: number }>;
  newDenials: Map<RouterErrorCode, number>;
  newlyAllowed: number;
  rateLimitWaits: number;
  changedCalls: ChangedCall[];
}

/** What the proposed policy does with one call. */
type Replayed =
  | { denied: RouterErrorCode; reason: string }
  | { denied?: undefined; model: string | undefined; costNano: number; waited: boolean };

/**
 * Replays audit records against a proposed router's policy, calling no provider: for each
 * record, the decision the proposed router would make (the stages of `router.explain()` —
 * tenant, access, regions and deployments, roles, guardrails on size, caps, strategy — run
 * on the record's `features` instead of its prompt), its rate limits over the records'
 * timeline (the router's GCRA on the records' timestamps), its budgets over the replayed
 * period (spend accumulated in record order from zero at the first record, priced on the
 * proposed models), and the recorded usage priced on the model it would choose.
 *
 * Records stream: pass an array or any `AsyncIterable` (a JSONL file read line by line);
 * memory stays bounded by the number of tenants (and of users and tag values with their own
 * budgets), not by the log. Records should come in time order, as an audit sink writes them.
 *
 * Not replayed, because the record holds no prompt: content guardrails (blocked terms, PII,
 * custom input checks run on an empty message), `resolveTenant` hooks that read the
 * messages, and the proposed system prompt's size (the recorded bound holds the one that
 * was sent). Health is the proposed router's own: it has seen no call, so every circuit is
 * closed, and `balanced` and `max_reliability` rank without latency or success history
 * (they may pick another model than the live router did under the same policy).
 *
 * @example
 * ```ts
 * import { createRouter } from 'routeplane';
 * import { replayAudit } from 'routeplane/replay';
 *
 * const proposed = createRouter({ ...config, tenants: { acme: { strategy: 'lowest_cost' } } });
 * const report = await replayAudit(records, proposed);
 * for (const t of report.byTenant) console.log(t.tenant, t.baselineCostUsd, '→', t.proposedCostUsd);
 * ```
 */
export async function replayAudit(
  records: Iterable<AuditRecord> | AsyncIterable<AuditRecord>,
  proposedRouter: Router,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const probe = probeOf(proposedRouter);
  const sampleSize = options.sampleSize ?? 20;
  const progressEvery = options.progressEvery ?? 10_000;
  const budgets = new BudgetTimeline();
  const rates = new RateTimeline();
  const tenants = new Map<string, Aggregate>();
  let seen = 0;
  let skipped = 0;
  let from: number | undefined;
  let to: number | undefined;

  for await (const record of records) {
    if (++seen % progressEvery === 0) options.onProgress?.(seen);
    if (record.features === undefined || typeof record.tenant !== 'string') {
      skipped++;
      continue;
    }
    const t = record.timestamp;
    if (from === undefined || t < from) from = t;
    if (to === undefined || t > to) to = t;
    let aggregate = tenants.get(record.tenant);
    if (aggregate === undefined) {
      aggregate = {
        calls: 0,
        baselineNano: 0,
        proposedNano: 0,
        modelChanges: new Map(),
        newDenials: new Map(),
        newlyAllowed: 0,
        rateLimitWaits: 0,
        changedCalls: [],
      };
      tenants.set(record.tenant, aggregate);
    }
    const replayed = await replayOne(probe, record, budgets, rates);
    tally(aggregate, record, replayed, sampleSize);
  }
  options.onProgress?.(seen);
  return reportOf(tenants, skipped, from, to);
}

function probeOf(router: Router): ReplayProbe {
  const probe = router as unknown as Partial<ReplayProbe>;
  if (typeof probe[REPLAY_PROBE] !== 'function') {
    throw new RouterError(
      'invalid_config',
      'replayAudit: the proposed router cannot replay: pass a router built by createRouter() from routeplane',
    );
  }
  return probe as ReplayProbe;
}

/** The proposed router's outcome for one record, its limits and budgets advanced. */
async function replayOne(
  probe: ReplayProbe,
  record: AuditRecord,
  budgets: BudgetTimeline,
  rates: RateTimeline,
): Promise<Replayed> {
  const f = record.features!;
  let result: ReplayProbeResult;
  try {
    result = await probe[REPLAY_PROBE]({
      tenant: record.tenant,
      ...(record.user !== undefined && { user: record.user }),
      ...(record.role !== undefined && { role: record.role }),
      ...(record.tags !== undefined && { tags: record.tags }),
      ...(f.strategy !== undefined && { strategy: f.strategy }),
      ...(f.forceModel !== undefined && { forceModel: f.forceModel }),
      ...(f.maxTokens !== undefined && { maxTokens: f.maxTokens }),
      ...(f.maxCost !== undefined && { maxCost: f.maxCost }),
      inputTokens: f.inputTokens,
      needs: f.needs ?? [],
    });
  } catch (error) {
    if (RouterError.isInstance(error)) return { denied: error.code, reason: error.message };
    throw error;
  }
  const { policy, ranked, tenant } = result;
  const t = record.timestamp;

  // A cached answer stays cached when the proposed policy caches too: no limit, no budget, no
  // cost, and the model that made it (served while the tenant may still use it).
  if (record.cached && policy.cache && ranked.some((r) => r.model.id === record.model))
    return { model: record.model, costNano: 0, waited: false };

  const spec = policy.rateLimit;
  const tokens = f.inputTokens + (f.maxTokens ?? result.defaultMaxTokens);
  let waited = false;
  if (spec && (spec.requestsPerMinute !== undefined || spec.tokensPerMinute !== undefined)) {
    const taken = await rates.take(tenant, spec, tokens, t);
    if (taken === 'limited') {
      return { denied: 'rate_limited', reason: `over the rate limit of tenant '${tenant}'` };
    }
    waited = taken === 'waited';
  }
  const giveBack = () => (spec ? rates.adjust(tenant, spec, -tokens, t) : undefined);

  let candidates = ranked;
  if (candidates.length === 0) {
    await giveBack();
    const why = result.decision.excluded
      .slice(0, 3)
      .map((e) => `${e.model}: ${e.reason}`)
      .join('; ');
    return { denied: 'no_eligible_model', reason: `no model is eligible (${why})` };
  }

  const lines = budgets.lines(tenant, policy, record.user, record.tags);
  if (lines.length > 0) {
    const room = budgets.room(lines, t)!;
    if (candidates[0]!.estCostNano > room.left) {
      candidates =
        room.line.spec.onExceeded === 'downgrade' ? candidates.filter((c) => c.estCostNano <= room.left) : [];
      if (candidates.length === 0) {
        await giveBack();
        return {
          denied: 'budget_exceeded',
          reason: `budget of $${room.line.spec.limitUsd} per ${room.line.spec.period} has $${fromNano(Math.max(0, room.left))} left`,
        };
      }
    }
  }

  const chosen = candidates[0]!;
  let costNano: number;
  if (record.outcome !== 'success') costNano = record.outcome === 'denied' ? 0 : toNano(record.costUsd);
  else if (record.cached) costNano = record.usage ? actualCostNano(chosen.model, record.usage) : 0;
  else if (record.usageEstimated || !record.usage) costNano = chosen.estCostNano;
  else costNano = actualCostNano(chosen.model, record.usage);
  if (lines.length > 0) budgets.charge(lines, t, costNano);
  if (spec) {
    const usage = record.outcome === 'success' ? record.usage : undefined;
    const actual = usage ? usage.totalTokens || usage.inputTokens + usage.outputTokens : 0;
    // As the stage settles: a failed call gives its estimate back; unknown usage keeps it.
    if (usage || record.outcome !== 'success') await rates.adjust(tenant, spec, actual - tokens, t);
  }
  return { model: chosen.model.id, costNano, waited };
}

function tally(a: Aggregate, record: AuditRecord, replayed: Replayed, sampleSize: number): void {
  a.calls++;
  a.baselineNano += toNano(record.costUsd);
  const sample = (change: Omit<ChangedCall, 'requestId' | 'timestamp'>) => {
    if (a.changedCalls.length < sampleSize)
      a.changedCalls.push({ requestId: record.requestId, timestamp: record.timestamp, ...change });
  };
  if (replayed.denied !== undefined) {
    if (record.outcome === 'denied') return;
    a.newDenials.set(replayed.denied, (a.newDenials.get(replayed.denied) ?? 0) + 1);
    sample({
      ...(record.model !== undefined && { from: record.model }),
      code: replayed.denied,
      reason: replayed.reason,
    });
    return;
  }
  a.proposedNano += replayed.costNano;
  if (replayed.waited) a.rateLimitWaits++;
  if (record.outcome === 'denied') {
    a.newlyAllowed++;
    return;
  }
  if (record.outcome !== 'success' || record.model === undefined || replayed.model === undefined) return;
  if (replayed.model === record.model) return;
  const key = `${record.model}\0${replayed.model}`;
  const change = a.modelChanges.get(key);
  if (change) change.calls++;
  else a.modelChanges.set(key, { from: record.model, to: replayed.model, calls: 1 });
  sample({ from: record.model, to: replayed.model });
}

function reportOf(
  tenants: Map<string, Aggregate>,
  skipped: number,
  from: number | undefined,
  to: number | undefined,
): ReplayReport {
  const byTenant: TenantReplay[] = [...tenants]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([tenant, a]) => ({
      tenant,
      calls: a.calls,
      baselineCostUsd: fromNano(a.baselineNano),
      proposedCostUsd: fromNano(a.proposedNano),
      modelChanges: [...a.modelChanges.values()].sort((x, y) => y.calls - x.calls),
      newDenials: byCount(a.newDenials),
      newlyAllowed: a.newlyAllowed,
      rateLimitWaits: a.rateLimitWaits,
      changedCalls: a.changedCalls,
    }));
  const denials = new Map<RouterErrorCode, number>();
  let baselineNano = 0;
  let proposedNano = 0;
  for (const a of tenants.values()) {
    baselineNano += a.baselineNano;
    proposedNano += a.proposedNano;
    for (const [code, calls] of a.newDenials) denials.set(code, (denials.get(code) ?? 0) + calls);
  }
  return {
    calls: byTenant.reduce((n, t) => n + t.calls, 0),
    skipped,
    baselineCostUsd: fromNano(baselineNano),
    proposedCostUsd: fromNano(proposedNano),
    modelChanges: byTenant.reduce((n, t) => n + t.modelChanges.reduce((m, c) => m + c.calls, 0), 0),
    newDenials: byCount(denials),
    newlyAllowed: byTenant.reduce((n, t) => n + t.newlyAllowed, 0),
    ...(from !== undefined && { from }),
    ...(to !== undefined && { to }),
    byTenant,
  };
}

function byCount(counts: Map<RouterErrorCode, number>): { code: RouterErrorCode; calls: number }[] {
  return [...counts].map(([code, calls]) => ({ code, calls })).sort((a, b) => b.calls - a.calls);
}
