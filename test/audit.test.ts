import { type AuditRecord, createRouter, verifyAuditChain } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { collect, useEmulator } from './support/harness.js';

const emu = useEmulator();

const hello = [{ role: 'user' as const, content: 'Hello' }];

/** One call of every outcome, in order; returns the audit records as a JSON sink would store them. */
async function everyOutcome(): Promise<AuditRecord[]> {
  const router = createRouter({
    providers: emu.providers,
    audit: { chain: true },
    retry: { retries: 0 },
    tenants: {
      acme: {
        model: 'claude-sonnet-5-5',
        credentials: { anthropic: { id: 'acme-key-1', apiKey: 'sk-ant-secret-acme-123456' } },
      },
      eu: { allowedRegions: ['eu'] },
      capped: { model: 'gpt-6.2-sol', budget: { limitUsd: 0.0000001, period: 'day' } },
    },
  });
  const lines: string[] = [];
  router.on('audit', (record) => lines.push(JSON.stringify(record)));
  const swallow = (p: Promise<unknown>) => p.catch(() => undefined);

  await router.complete({
    tenant: 'acme',
    user: 'u-1',
    role: 'analyst',
    tags: { feature: 'chat' },
    messages: hello,
  }); // success
  await swallow(router.complete({ tenant: 'eu', forceModel: 'gpt-6.2-sol', messages: hello })); // policy_denied
  await swallow(router.complete({ tenant: 'acme', messages: [] })); // invalid_request
  await swallow(router.complete({ tenant: 'nobody', messages: hello })); // tenant_not_found
  await swallow(router.complete({ tenant: 'capped', messages: hello })); // budget_exceeded
  emu.fail('claude-sonnet-5-5', { status: 500 });
  await swallow(router.complete({ tenant: 'acme', messages: hello })); // providers_exhausted
  const stream = router.stream({ tenant: 'acme', messages: hello }); // success, streamed
  for await (const _ of stream) {
    // consume
  }
  await router.complete({ tenant: 'eu', messages: hello }); // success, another tenant
  return lines.map((line) => JSON.parse(line) as AuditRecord);
}

describe('audit records', () => {
  it('are exactly one per call, whatever the outcome, with the fields of the contract', async () => {
    const records = await everyOutcome();
    expect(records.map((r) => [r.tenant, r.outcome, r.errorCode])).toEqual([
      ['acme', 'success', undefined],
      ['eu', 'denied', 'policy_denied'],
      ['acme', 'denied', 'invalid_request'],
      ['nobody', 'denied', 'tenant_not_found'],
      ['capped', 'denied', 'budget_exceeded'],
      ['acme', 'failed', 'providers_exhausted'],
      ['acme', 'success', undefined],
      ['eu', 'success', undefined],
    ]);
    const [success] = records;
    expect(success).toMatchObject({
      tenant: 'acme',
      user: 'u-1',
      role: 'analyst',
      tags: { feature: 'chat' },
      outcome: 'success',
      strategy: 'force_model',
      model: 'claude-sonnet-5-5',
      provider: 'anthropic',
      region: 'us',
      credentialId: 'acme-key-1',
      cached: false,
      fallbacks: [],
      stream: false,
    });
    expect(success!.usage?.totalTokens).toBeGreaterThan(0);
    expect(success!.costUsd).toBeGreaterThan(0);
    expect(success!.latencyMs).toBeGreaterThan(0);
    expect(success!.attempts).toEqual([expect.objectContaining({ model: 'claude-sonnet-5-5', ok: true })]);
    expect(records[6]).toMatchObject({ stream: true, outcome: 'success' });
    expect(records[6]!.ttftMs).toBeGreaterThan(0);
    expect(records[5]!.attempts[0]).toMatchObject({ ok: false, errorCode: 'server_error', status: 500 });
    expect(new Set(records.map((r) => r.requestId)).size).toBe(records.length);
    expect(JSON.stringify(records)).not.toContain('sk-ant-secret');
  });

  it("carry the request's features for a replay, and no prompt", async () => {
    const router = createRouter({
      providers: emu.providers,
      defaultMaxTokens: 512,
      tenants: { acme: { systemPrompt: 'You are terse.' } },
    });
    const records: AuditRecord[] = [];
    router.on('audit', (record) => records.push(record));
    const messages = [{ role: 'user' as const, content: 'Hello, features' }];
    await router.complete({ tenant: 'acme', messages, strategy: 'lowest_cost', maxCost: 0.5 });
    await router.complete({
      tenant: 'acme',
      messages,
      forceModel: 'gpt-6.2-sol',
      maxTokens: 64,
      responseFormat: { type: 'json' },
      tools: [{ name: 'lookup', description: 'Looks up', parameters: { type: 'object' } }],
    });
    await router.close();
    const [plain, forced] = records;
    expect(plain!.features).toEqual({
      inputTokens: plain!.features!.inputTokens,
      maxTokensSent: 512,
      strategy: 'lowest_cost',
      maxCost: 0.5,
    });
    // The bound the strategy routed with: request overhead, and the system prompt counted.
    expect(plain!.features!.inputTokens).toBe(8 + 4 + 'You are terse.'.length + 4 + 'Hello, features'.length);
    expect(forced!.features).toMatchObject({
      maxTokens: 64,
      maxTokensSent: 64,
      needs: ['tools', 'json'],
      forceModel: 'gpt-6.2-sol',
    });
    expect(forced!.features!.inputTokens).toBeGreaterThan(plain!.features!.inputTokens);
    expect(JSON.stringify(records)).not.toContain('Hello, features');
  });

  it('form a per-tenant hash chain that verifies after a JSON round trip', async () => {
    const records = await everyOutcome();
    expect(verifyAuditChain(records)).toEqual({ ok: true });
    const acme = records.filter((r) => r.tenant === 'acme');
    expect(acme[0]!.prevHash).toBe('0'.repeat(64));
    expect(acme[1]!.prevHash).toBe(acme[0]!.hash);
    expect(acme.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });

  it('catch a changed record', async () => {
    const records = await everyOutcome();
    records[5] = { ...records[5]!, latencyMs: records[5]!.latencyMs + 1 };
    expect(verifyAuditChain(records)).toMatchObject({
      ok: false,
      index: 5,
      reason: expect.stringContaining('changed'),
    });
  });

  it('catch a dropped record', async () => {
    const records = await everyOutcome();
    records.splice(2, 1); // an acme record
    expect(verifyAuditChain(records)).toMatchObject({
      ok: false,
      index: 4,
      reason: expect.stringContaining('broken'),
    });
  });

  it('verify in any stored order (the chain gives the order), but catch a record moved in the chain', async () => {
    const records = await everyOutcome();
    [records[5], records[6]] = [records[6]!, records[5]!];
    expect(verifyAuditChain(records)).toEqual({ ok: true });
    expect(verifyAuditChain([...records].reverse())).toEqual({ ok: true });
    // Record 6 (now at 5) rehashed to follow acme's first record instead of its own predecessor.
    const { hashRecord } = await import('../src/events/audit-chain.js');
    const moved = { ...records[5]!, prevHash: records[0]!.hash };
    moved.hash = hashRecord(moved);
    records[5] = moved;
    expect(verifyAuditChain(records)).toMatchObject({
      ok: false,
      index: 5,
      reason: expect.stringContaining('fork'),
    });
  });

  it('catch an inserted record, even one with a valid hash of its own', async () => {
    const records = await everyOutcome();
    const forged = { ...records[0]!, requestId: 'forged' };
    const { hashRecord } = await import('../src/events/audit-chain.js');
    forged.hash = hashRecord(forged);
    records.splice(1, 0, forged);
    expect(verifyAuditChain(records)).toMatchObject({ ok: false, index: 1 });
  });

  it('are not hashed when the chain is off', async () => {
    const router = createRouter({ providers: emu.providers, tenants: { acme: {} } });
    const seen = collect(router, 'audit');
    await router.complete({ tenant: 'acme', messages: hello });
    expect(seen[0]!.hash).toBeUndefined();
    expect(verifyAuditChain(seen)).toMatchObject({ ok: false, index: 0 });
  });
});

describe('cost caps in the audit', () => {
  it('re-check the actual cost against the cap in force', async () => {
    const router = createRouter({
      providers: emu.providers,
      tenants: { acme: { model: 'gpt-6.2-sol', maxCostPerRequest: 0.5 } },
    });
    const seen = collect(router, 'audit');
    await router.complete({ tenant: 'acme', messages: hello });
    await router.complete({ tenant: 'acme', maxCost: 0.45, messages: hello });
    expect(seen.map((r) => [r.costCapUsd, r.overCap])).toEqual([
      [0.5, false],
      [0.45, false],
    ]);
    const uncapped = createRouter({ providers: emu.providers, tenants: { t: { model: 'gpt-6.2-sol' } } });
    const none = collect(uncapped, 'audit');
    await uncapped.complete({ tenant: 't', messages: hello });
    expect(none[0]!.costCapUsd).toBeUndefined();
  });
});
