import { actualCostNano } from '../../catalog/estimate.js';
import { RouterError } from '../../errors.js';
import type { BudgetScope } from '../../events/types.js';
import { onAnswer, settledUsage } from '../../pipeline/answer.js';
import type { Middleware } from '../../pipeline/compose.js';
import type { RouteContext } from '../../pipeline/context.js';
import type { BudgetSpec } from '../../pipeline/policy.js';
import { flatString, keyPart } from '../../store/keys.js';
import {
  type BudgetState,
  fromNano,
  type Lease,
  type Store,
  syncStoreOf,
  toNano,
  toNanoCeil,
} from '../../store/types.js';
import type { Candidate } from '../../strategies/types.js';
import type { Usage } from '../../types.js';
import { LeaseRenewals } from './leases.js';
import { Periods, periodOf } from './period.js';
import { RoomWaiters } from './waiters.js';

/** A budget the call counts against. Tenants without a budget still count usage, uncapped. */
interface Account {
  scope: BudgetScope;
  subject?: string;
  spec: BudgetSpec | undefined;
  period: string;
  key: string;
  /** nano-USD; Infinity when uncapped. */
  limit: number;
  ttlMs: number | undefined;
}

/**
 * Budgets with reservation, so concurrent calls cannot overspend. Before the call, the
 * estimated cost of its first candidate (an upper bound) is reserved in every budget the
 * call counts against (tenant, user, each tag); a dearer fallback reserves the difference
 * first (`ctx.budget.admit`). After it, the actual cost replaces the reservation; a call that fails
 * before any answer releases it; a stream that fails after its first part is charged its
 * whole reservation (the provider bills what it sent, and the router cannot know how much).
 *
 * Every reservation is a lease held by the call (its id is the `requestId`): all the call's
 * budgets are reserved, settled or released together in one store operation, the call
 * renews the lease while it runs, and a lease whose holder died lapses by itself after
 * `leaseMs`.
 *
 * A call that does not fit waits, in order, while the tenant has calls in flight (they may
 * settle below their reservations), within its deadline and signal and for at most
 * `leaseMs`; with nothing in flight (or after that wait) it is `budget_exceeded`, or with
 * `onExceeded: 'downgrade'` goes to the ranked candidates that still fit.
 */
export function createBudgetStage(options: { leaseMs: number }): Middleware<RouteContext> {
  const budgets: Budgets = {
    periods: new Periods(),
    waiters: new RoomWaiters(),
    leaseMs: options.leaseMs,
    renewals: new LeaseRenewals(options.leaseMs),
    lastKey: undefined,
  };
  return (ctx, next) => budgeted(budgets, ctx, next);
}

/** One router's budget state: its period memo, the calls waiting for room, the leases it renews. */
interface Budgets {
  periods: Periods;
  waiters: RoomWaiters;
  leaseMs: number;
  renewals: LeaseRenewals;
  /** The last account key made, to give the same (flat) string again to a tenant calling on. */
  lastKey: { who: string; tenant: string; period: string; key: string } | undefined;
}

function budgeted(b: Budgets, ctx: RouteContext, next: () => Promise<void>): Promise<void> {
  const accounts = accountsOf(b, ctx);
  const lease: Lease = { id: ctx.requestId, ttlMs: b.leaseMs };
  // With no limit in any of its budgets there is nothing to protect: the call reserves
  // nothing (no store operation, no lease to renew) and its cost is added when it settles.
  if (isCapped(accounts)) return capped(b, ctx, next, accounts, lease);
  // What a call whose usage stays unknown is charged: its largest estimate.
  let held = toNanoCeil(ctx.ranked[0]!.candidate.estCostUsd);
  ctx.budget = {
    admit: (candidate, concurrent) => {
      const need = concurrent ? held + toNanoCeil(candidate.estCostUsd) : toNanoCeil(candidate.estCostUsd);
      if (need > held) held = need;
      return true;
    },
  };
  return next().then(() =>
    onAnswer(ctx, { end: (answer) => settle(b, ctx, accounts, lease, held, settledUsage(answer)) }),
  );
}

/** A call with a limit in one of its budgets: reserved before it runs, released or settled after. */
function capped(
  b: Budgets,
  ctx: RouteContext,
  next: () => Promise<void>,
  accounts: Account[],
  lease: Lease,
): Promise<void> {
  // Reserved at once (the memory store, room in the budget): no async frame.
  const held = reserveAtOnce(ctx, accounts, lease);
  if (held !== undefined) return reservedRun(b, ctx, next, accounts, lease, held);
  return reserveFirst(b, ctx, accounts, lease).then((reserved) =>
    reservedRun(b, ctx, next, accounts, lease, reserved),
  );
}

/** The call under its reservation (`reserved`, nano-USD), renewed while it runs. */
function reservedRun(
  b: Budgets,
  ctx: RouteContext,
  next: () => Promise<void>,
  accounts: Account[],
  lease: Lease,
  reserved: number,
): Promise<void> {
  let held = reserved;
  const renewal = b.renewals.add(ctx.services, accounts, lease);
  ctx.budget = {
    admit: (candidate: Candidate, concurrent?: boolean): boolean | Promise<boolean> => {
      // A hedge runs beside the attempt already held for: it needs its own reservation.
      const need = concurrent ? held + toNanoCeil(candidate.estCostUsd) : toNanoCeil(candidate.estCostUsd);
      if (need <= held) return true;
      return reserveAll(ctx, accounts, need - held, lease).then((ok) => {
        if (ok !== true) return false;
        held = need;
        return true;
      });
    },
  };
  return next().then(
    () =>
      onAnswer(ctx, {
        end: (answer) => {
          b.renewals.delete(renewal);
          return settle(b, ctx, accounts, lease, held, settledUsage(answer));
        },
      }),
    async (error: unknown) => {
      b.renewals.delete(renewal);
      await release(b, ctx, accounts, lease);
      throw error;
    },
  );
}

function isCapped(accounts: readonly Account[]): boolean {
  for (const account of accounts) if (account.limit !== Number.POSITIVE_INFINITY) return true;
  return false;
}

/**
 * The first candidate's reservation in one synchronous step, when the store offers one (the
 * memory store) and it fits: the amount held. Undefined otherwise: `reserveFirst` then
 * reserves (a refusal here reserved nothing), waits or downgrades.
 */
function reserveAtOnce(ctx: RouteContext, accounts: Account[], lease: Lease): number | undefined {
  const sync = syncStoreOf(ctx.services.store);
  if (sync === undefined) return undefined;
  const need = toNanoCeil(ctx.ranked[0]!.candidate.estCostUsd);
  return sync.reserve(accounts, need, lease, ctx.services.now()).ok ? need : undefined;
}

/**
 * The store key of a budget. `{tenant}` is a Redis Cluster hash tag: a tenant's keys share
 * a slot. (`account` builds the same key with the tenant part already encoded.)
 */
function budgetKey(tenant: string, who: string, period: string): string {
  return `budget:{${keyPart(tenant)}}:${who}:${period}`;
}

/**
 * A tenant's spend and usage in its current budget period (`total` when it has no budget),
 * from the store: what `router.usage()` returns.
 */
export async function tenantUsage(
  store: Store,
  tenant: string,
  spec: BudgetSpec | undefined,
  now: number,
): Promise<TenantUsage> {
  const period = periodOf(spec?.period ?? 'total', store.now?.() ?? now);
  const state = await store.read(budgetKey(tenant, 'tenant', period.id), now);
  return {
    tenant,
    period: period.id,
    spentUsd: fromNano(state.spent),
    ...(spec && { limitUsd: spec.limitUsd }),
    reservedUsd: fromNano(state.reserved),
    inputTokens: state.inputTokens,
    outputTokens: state.outputTokens,
    requests: state.requests,
  };
}

/** A tenant's spend and usage in its current budget period. */
export interface TenantUsage {
  tenant: string;
  /** The period's id: `2026-11-23` (day), `2026-11-23T10` (hour), `W2026-11-23` (week from Monday), `2026-11` (month), `total`. */
  period: string;
  spentUsd: number;
  limitUsd?: number;
  /** Held by calls in flight. */
  reservedUsd: number;
  inputTokens: number;
  outputTokens: number;
  /** Calls settled in the period. */
  requests: number;
}

function accountsOf(b: Budgets, ctx: RouteContext): Account[] {
  const policy = ctx.policy!;
  // Periods on the store's clock (the Redis server's) when it has one: every instance
  // changes period at the same moment.
  const now = ctx.services.store.now?.() ?? ctx.services.now();
  const tenant = keyPart(ctx.tenant);
  const accounts = [account(b, tenant, now, 'tenant', policy.budget, undefined, undefined)];
  const user = ctx.request.user;
  if (policy.userBudget && user !== undefined)
    accounts.push(account(b, tenant, now, 'user', policy.userBudget, user, keyPart(user)));
  const tagBudgets = policy.tagBudgets;
  if (tagBudgets !== undefined) {
    for (const tag in tagBudgets) {
      const value = ctx.request.tags?.[tag];
      if (value !== undefined) {
        const subject = `${tag}=${value}`;
        accounts.push(
          account(b, tenant, now, 'tag', tagBudgets[tag], subject, `${keyPart(tag)}=${keyPart(value)}`),
        );
      }
    }
  }
  return accounts;
}

/** One budget the call counts against; `part` is the subject as a key part (its ids encoded, see `keyPart`). */
function account(
  b: Budgets,
  tenantPart: string,
  now: number,
  scope: BudgetScope,
  spec: BudgetSpec | undefined,
  subject: string | undefined,
  part: string | undefined,
): Account {
  const period = b.periods.of(spec?.period ?? 'total', now);
  const who = part === undefined ? scope : `${scope}:${part}`;
  const made: Account = {
    scope,
    spec,
    period: period.id,
    key: accountKey(b, tenantPart, who, period.id),
    limit: spec ? toNano(spec.limitUsd) : Number.POSITIVE_INFINITY,
    ttlMs: period.endsAt === Number.POSITIVE_INFINITY ? undefined : period.endsAt - now + 3_600_000,
  };
  if (subject !== undefined) made.subject = subject;
  return made;
}

/**
 * `budget:{<tenant>}:<scope>[:<subject>]:<period>`. The last one made is given again when it
 * fits: a flat string whose hash the store's map lookup has already computed.
 */
function accountKey(b: Budgets, tenant: string, who: string, period: string): string {
  const last = b.lastKey;
  if (last !== undefined && last.tenant === tenant && last.who === who && last.period === period)
    return last.key;
  const key = flatString(`budget:{${tenant}}:${who}:${period}`);
  b.lastKey = { who, tenant, period, key };
  return key;
}

/** Reserves the first candidate's estimate, waiting or downgrading as the budgets say. */
async function reserveFirst(
  b: Budgets,
  ctx: RouteContext,
  accounts: Account[],
  lease: Lease,
): Promise<number> {
  let waited = false;
  let waitingSince = 0;
  for (;;) {
    const need = toNanoCeil(ctx.ranked[0]!.candidate.estCostUsd);
    const refused = await reserveAll(ctx, accounts, need, lease);
    if (refused === true) {
      // Pass the turn on: the next waiter may fit too.
      if (waited) wakeAll(b, accounts);
      return need;
    }
    const { account, state } = refused;
    if (!waited) waitingSince = ctx.services.now();
    const waitedMs = ctx.services.now() - waitingSince;
    if (state.reserved > 0 && waitedMs < b.leaseMs) {
      // Calls in flight may settle below their reservations: wait for room, in order
      // (a waiter that still does not fit keeps its place at the front). At most one
      // lease long: by then every reservation waited on has ended, lapsed or been renewed.
      await b.waiters.wait(ctx, account.key, waited);
      waited = true;
      continue;
    }
    // Leaving the line (denied or downgraded): the next waiter tries at once.
    if (waited) wakeAll(b, accounts);
    const remaining = account.limit - state.spent;
    const downgrade = account.spec?.onExceeded === 'downgrade';
    const fitting = downgrade
      ? ctx.ranked.filter((r) => toNanoCeil(r.candidate.estCostUsd) <= remaining)
      : [];
    emitExceeded(ctx, account, state.spent, state.reserved, need, fitting.length > 0 ? 'downgrade' : 'deny');
    if (fitting.length === 0) {
      const inFlight =
        state.reserved > 0
          ? ` after waiting ${Math.round(waitedMs)} ms (leaseMs) for $${round(fromNano(state.reserved))} held by calls in flight`
          : '';
      throw new RouterError(
        'budget_exceeded',
        `tenant '${ctx.tenant}' ${describe(account)} budget of $${account.spec!.limitUsd} per ${account.spec!.period} has $${round(fromNano(Math.max(0, remaining)))} left; this call may cost up to $${round(fromNano(need))}${downgrade ? ' and no eligible model fits' : ''}${inFlight}`,
        { tenant: ctx.tenant, requestId: ctx.requestId, retryable: account.spec!.period !== 'total' },
      );
    }
    ctx.ranked = fitting;
  }
}

/** Reserves `amount` in every account, or none (one store operation): the refusing account and its state otherwise. */
async function reserveAll(
  ctx: RouteContext,
  accounts: Account[],
  amount: number,
  lease: Lease,
): Promise<true | { account: Account; state: BudgetState }> {
  const { ok, index, state } = await ctx.services.store.reserve(accounts, amount, lease, ctx.services.now());
  return ok ? true : { account: accounts[index] ?? accounts[0]!, state };
}

/**
 * Gives the reservation back. Best effort: a store that fails here is already reported
 * (`store.error`), and the lease lapses by itself; the call's own error is what it throws.
 */
async function release(b: Budgets, ctx: RouteContext, accounts: Account[], lease: Lease): Promise<void> {
  try {
    await ctx.services.store.release(accounts, lease, ctx.services.now());
  } catch {
    // The lease lapses after `leaseMs`.
  }
  wakeAll(b, accounts);
}

/**
 * Replaces the reservation by the actual cost (the whole reservation when the usage is
 * unknown). At once on a store with synchronous budgets; otherwise (or if that throws)
 * through the settlement journal.
 */
function settle(
  b: Budgets,
  ctx: RouteContext,
  accounts: Account[],
  lease: Lease,
  held: number,
  usage: Usage | undefined,
): void | Promise<void> {
  const served = ctx.served;
  const cost =
    usage && served ? actualCostNano(served.candidate.model, usage) + ctx.charges.cancelledNano : held;
  ctx.charges.billedNano = cost;
  const actual = { cost, inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 };
  const { services, requestId, tenant } = ctx;
  const sync = syncStoreOf(services.store);
  if (sync !== undefined) {
    let states: BudgetState[] | undefined;
    try {
      states = sync.settle(accounts, lease, actual, services.now());
    } catch {
      // The journal takes it, and reports it.
    }
    if (states !== undefined) {
      emitThresholds(services, requestId, tenant, accounts, states, cost);
      wakeAll(b, accounts);
      return;
    }
  }
  return settleLater(b, ctx, accounts, lease, actual);
}

/** A settle through the settlement journal: applied now, or retried in the background. */
async function settleLater(
  b: Budgets,
  ctx: RouteContext,
  accounts: Account[],
  lease: Lease,
  actual: { cost: number; inputTokens: number; outputTokens: number },
): Promise<void> {
  const { cost } = actual;
  // The journal may keep `apply` for minutes: it holds the services, not the call's context.
  const { services, requestId, tenant } = ctx;
  // The answer is given: a store that refuses the settlement does not fail the call. The
  // journal retries it in the background (idempotent by lease id) and reports it
  // (`store.error`); a retry that applies emits the thresholds it crossed, as the first
  // attempt would have.
  const settled = await services.settlements.settle({
    kind: 'budget',
    key: accounts[0]!.key,
    tenant,
    requestId,
    amountUsd: fromNano(cost),
    apply: async () => {
      const states = await services.store.settle(accounts, lease, actual, services.now());
      emitThresholds(services, requestId, tenant, accounts, states, cost);
    },
    onSettled: () => wakeAll(b, accounts),
  });
  wakeAll(b, accounts);
  if (!settled) ctx.charges.unsettled = true;
}

/** Lets the calls waiting for room in these budgets try again. */
function wakeAll(b: Budgets, accounts: readonly Account[]): void {
  for (const account of accounts) b.waiters.wake(account.key);
}

/** The `alertAt` thresholds a settle of `cost` crossed, in each account (`states` in the same order). */
function emitThresholds(
  services: RouteContext['services'],
  requestId: string,
  tenant: string,
  accounts: readonly Account[],
  states: readonly BudgetState[],
  cost: number,
): void {
  for (let i = 0; i < accounts.length; i++)
    emitAccountThresholds(services, requestId, tenant, accounts[i]!, states[i]!, cost);
}

/** The `alertAt` thresholds a settle of `cost` crossed: exactly one settle crosses each per period. */
function emitAccountThresholds(
  services: RouteContext['services'],
  requestId: string,
  tenant: string,
  account: Account,
  state: BudgetState,
  cost: number,
): void {
  const spec = account.spec;
  if (!spec?.alertAt) return;
  const before = state.spent - cost;
  for (const share of spec.alertAt) {
    const mark = share * account.limit;
    if (before < mark && state.spent >= mark) {
      services.emit('budget.threshold', () => ({
        requestId,
        tenant,
        timestamp: services.now(),
        scope: account.scope,
        ...(account.subject !== undefined && { subject: account.subject }),
        period: account.period,
        threshold: share,
        spentUsd: fromNano(state.spent),
        limitUsd: spec.limitUsd,
      }));
    }
  }
}

function emitExceeded(
  ctx: RouteContext,
  account: Account,
  spent: number,
  reserved: number,
  need: number,
  action: 'deny' | 'downgrade',
): void {
  ctx.services.emit('budget.exceeded', () => ({
    ...eventBase(ctx, account),
    spentUsd: fromNano(spent),
    reservedUsd: fromNano(reserved),
    limitUsd: account.spec!.limitUsd,
    estCostUsd: fromNano(need),
    action,
  }));
}

/** The fields every budget event carries: the call, and which budget. */
function eventBase(ctx: RouteContext, account: Account) {
  return {
    requestId: ctx.requestId,
    tenant: ctx.tenant,
    timestamp: ctx.services.now(),
    scope: account.scope,
    ...(account.subject !== undefined && { subject: account.subject }),
    period: account.period,
  };
}

function describe(account: Account): string {
  return account.subject === undefined ? account.scope : `${account.scope} '${account.subject}'`;
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
