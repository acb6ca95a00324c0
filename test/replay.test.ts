import { type AuditRecord, createRouter, type RouterConfig } from 'routeplane';
import { replayAudit } from 'routeplane/replay';
import { describe, expect, it } from 'vitest';
import { useEmulator, useRouters } from './support/harness.js';

const emu = useEmulator();
const routers = useRouters();

const prompts = [
  'Summarize a mutual NDA in three bullets.',
  'Name three colors.',
  'Write a haiku about rain.',
];

const baseline = (): RouterConfig => ({
  providers: emu.providers,
  retry: { retries: 0 },
  tenants: {
    acme: { strategy: 'force_model', model: 'claude-sonnet-5-5' },
    // Strategies that do not rank on observed latency: a replay ranks on the proposed router's
    // health, which has seen no call.
    globex: { strategy: 'lowest_cost', minQuality: 0.85 },
    initech: { strategy: 'lowest_cost', maxCostPerRequest: 0.05 },
  },
});

/** Calls made on the emulator, as an audit sink would store them (a JSON round trip). */
async function record(
  config: RouterConfig,
  calls: { tenant: string; content: string; user?: string }[],
): Promise<AuditRecord[]> {
  const router = createRouter(config);
  routers.push(router);
  const lines: string[] = [];
  router.on('audit', (r) => lines.push(JSON.stringify(r)));
  for (const { tenant, content, user } of calls)
    await router
      .complete({ tenant, ...(user && { user }), messages: [{ role: 'user', content }] })
      .catch(() => undefined);
  return lines.map((line) => JSON.parse(line) as AuditRecord);
}

const everyTenant = (n: number) =>
  ['acme', 'globex', 'initech'].flatMap((tenant) =>
    Array.from({ length: n }, (_, i) => ({ tenant, content: prompts[i % prompts.length]! })),
  );

function proposed(config: RouterConfig) {
  const router = createRouter(config);
  routers.push(router);
  return router;
}

describe('replayAudit', () => {
  it('under the same policy, decides as explain() did: no model change, no denial, the same cost', async () => {
    const records = await record(baseline(), everyTenant(4));
    const router = proposed(baseline());
    for (const [i, call] of everyTenant(4).entries()) {
      const decision = await router.explain({
        tenant: call.tenant,
        messages: [{ role: 'user', content: call.content }],
      });
      expect(decision.chosen).toBe(records[i]!.model);
    }
    emu.reset();
    const report = await replayAudit(records, router);
    expect(report.calls).toBe(12);
    expect(report.skipped).toBe(0);
    expect(report.modelChanges).toBe(0);
    expect(report.newDenials).toEqual([]);
    expect(report.proposedCostUsd).toBe(report.baselineCostUsd);
    expect(report.baselineCostUsd).toBeGreaterThan(0);
    for (const tenant of report.byTenant) {
      expect(tenant.proposedCostUsd).toBe(tenant.baselineCostUsd);
      expect(tenant.changedCalls).toEqual([]);
    }
    // No provider was called by the replay.
    expect(emu.requests).toEqual([]);
  });

  it('shows a cheaper policy as model changes and a lower proposed cost, and calls no provider', async () => {
    const records = await record(baseline(), everyTenant(3));
    emu.reset();
    const config = baseline();
    config.tenants = { ...(config.tenants as object), acme: { strategy: 'lowest_cost' } };
    const report = await replayAudit(records, proposed(config));
    const acme = report.byTenant.find((t) => t.tenant === 'acme')!;
    expect(acme.modelChanges).toHaveLength(1);
    expect(acme.modelChanges[0]).toMatchObject({ from: 'claude-sonnet-5-5', calls: 3 });
    expect(acme.proposedCostUsd).toBeLessThan(acme.baselineCostUsd / 2);
    expect(acme.changedCalls.map((c) => c.requestId)).toEqual(
      records.filter((r) => r.tenant === 'acme').map((r) => r.requestId),
    );
    const others = report.byTenant.filter((t) => t.tenant !== 'acme');
    for (const t of others) expect(t.proposedCostUsd).toBe(t.baselineCostUsd);
    expect(report.modelChanges).toBe(3);
    expect(emu.requests).toEqual([]);
  });

  it('denies with budget_exceeded from the first call whose reservation no longer fits the spend so far', async () => {
    const calls = Array.from({ length: 8 }, () => ({ tenant: 'acme', content: prompts[0]! }));
    const records = await record(baseline(), calls);
    const config = baseline();
    const router0 = proposed(baseline());
    const { candidates } = await router0.explain({
      tenant: 'acme',
      messages: [{ role: 'user', content: prompts[0]! }],
    });
    const reservation = candidates[0]!.estCostUsd;
    // Room for the reservation plus two and a half calls' actual cost.
    const limitUsd = reservation + records[0]!.costUsd * 2.5;
    config.tenants = {
      ...(config.tenants as object),
      acme: { strategy: 'force_model', model: 'claude-sonnet-5-5', budget: { limitUsd, period: 'total' } },
    };
    const report = await replayAudit(records, proposed(config));
    const acme = report.byTenant[0]!;
    // Expected point: the first call i where the spend of the calls before it plus its reservation passes the limit.
    let spent = 0;
    let expected = -1;
    for (const [i, r] of records.entries()) {
      if (spent + reservation > limitUsd + 1e-9) {
        expected = i;
        break;
      }
      spent += r.costUsd;
    }
    expect(expected).toBeGreaterThan(0);
    expect(acme.newDenials).toEqual([{ code: 'budget_exceeded', calls: records.length - expected }]);
    expect(acme.changedCalls[0]).toMatchObject({
      requestId: records[expected]!.requestId,
      from: 'claude-sonnet-5-5',
      code: 'budget_exceeded',
    });
    expect(acme.proposedCostUsd).toBeLessThanOrEqual(limitUsd);
  });

  it('denies with rate_limited over the records timeline, and lets calls through again once the window refills', async () => {
    const calls = Array.from({ length: 5 }, () => ({ tenant: 'globex', content: prompts[1]! }));
    const records = await record(baseline(), calls);
    // Spread the first five within a second, then one two minutes later.
    const t0 = records[0]!.timestamp;
    const timeline = records.map((r, i) => ({ ...r, timestamp: t0 + i * 100 }));
    timeline.push({ ...records[4]!, requestId: 'later', timestamp: t0 + 120_000 });
    const config = baseline();
    config.tenants = {
      ...(config.tenants as object),
      globex: { strategy: 'lowest_cost', minQuality: 0.85, rateLimit: { requestsPerMinute: 2 } },
    };
    const report = await replayAudit(timeline, proposed(config));
    const globex = report.byTenant[0]!;
    expect(globex.newDenials).toEqual([{ code: 'rate_limited', calls: 3 }]);
    expect(globex.changedCalls.map((c) => c.requestId)).toEqual(records.slice(2).map((r) => r.requestId));

    const waiting = baseline();
    waiting.tenants = {
      ...(waiting.tenants as object),
      globex: {
        strategy: 'lowest_cost',
        minQuality: 0.85,
        rateLimit: { requestsPerMinute: 2, onLimit: 'wait' },
      },
    };
    const waited = await replayAudit(timeline, proposed(waiting));
    expect(waited.byTenant[0]).toMatchObject({ newDenials: [], rateLimitWaits: 3 });
  });

  it('shows region restrictions as policy changes: a forced model out of region is denied, others move', async () => {
    const records = await record(baseline(), everyTenant(2));
    const config = baseline();
    config.tenants = {
      acme: { strategy: 'force_model', model: 'claude-sonnet-5-5', allowedRegions: ['eu'] },
      globex: { strategy: 'lowest_cost', minQuality: 0.85, allowedRegions: ['eu'] },
      initech: { strategy: 'lowest_cost', maxCostPerRequest: 0.05 },
    };
    const report = await replayAudit(records, proposed(config));
    const [acme, globex] = report.byTenant;
    expect(acme!.newDenials).toEqual([{ code: 'policy_denied', calls: 2 }]);
    expect(acme!.changedCalls[0]!.reason).toContain("may not use model 'claude-sonnet-5-5'");
    expect(acme!.proposedCostUsd).toBe(0);
    const euModels = [
      'mistral-medium-latest',
      'mistral-large-latest',
      'mistral-small-latest',
      'ministral-8b-latest',
    ];
    for (const change of globex!.modelChanges) expect([...euModels, 'codestral-latest']).toContain(change.to);
    expect(globex!.modelChanges.reduce((n, c) => n + c.calls, 0)).toBeGreaterThan(0);
  });

  it('streams an AsyncIterable to the same report as an array, and skips records without features', async () => {
    const records = await record(baseline(), everyTenant(2));
    const { features: _features, ...old } = records[0]!;
    const all = [...records, old as AuditRecord];
    const config = baseline();
    config.tenants = { ...(config.tenants as object), globex: { strategy: 'lowest_cost', minQuality: 0.9 } };
    async function* lines() {
      for (const r of all) yield JSON.parse(JSON.stringify(r)) as AuditRecord;
    }
    const fromArray = await replayAudit(all, proposed(config));
    const progress: number[] = [];
    const fromStream = await replayAudit(lines(), proposed(config), {
      progressEvery: 2,
      onProgress: (n) => progress.push(n),
    });
    expect(fromStream).toEqual(fromArray);
    expect(fromStream.skipped).toBe(1);
    expect(progress).toEqual([2, 4, 6, 7]);
  });

  it('refuses a router that cannot replay, naming what to pass', async () => {
    const fake = { explain: () => undefined } as never;
    await expect(replayAudit([], fake)).rejects.toThrow(/createRouter\(\)/);
  });
});
