import { describe, expect, it } from 'vitest';
import type { EffectivePolicy, TenantPolicy } from '../pipeline/policy.js';
import { TenantRegistry } from './registry.js';

function registry(
  tenants: Record<string, TenantPolicy>,
  extra: Partial<ConstructorParameters<typeof TenantRegistry>[0]> = {},
) {
  return new TenantRegistry({
    source: tenants,
    defaults: undefined,
    tiers: undefined,
    defaultTenant: undefined,
    ttlMs: 60_000,
    ...extra,
  });
}

const resolved = (r: TenantRegistry, id: string) => r.resolve(id) as EffectivePolicy;

/** The registry's table of shared compiled policies (private: its bound is what is tested). */
const internedSize = (r: TenantRegistry) =>
  (r as unknown as { interned: Map<string, unknown> }).interned.size;

describe('TenantRegistry: compiled policies shared between tenants', () => {
  it('gives tenants whose merged policy is equal one compiled policy, and others their own', () => {
    const r = registry(
      {
        a: { tier: 'pro', budget: { limitUsd: 5, period: 'day' } },
        b: { tier: 'pro', budget: { limitUsd: 5, period: 'day' } },
        c: { tier: 'pro', budget: { limitUsd: 6, period: 'day' } },
        d: { tier: 'free', budget: { limitUsd: 5, period: 'day' } },
      },
      { tiers: { pro: { strategy: 'lowest_cost' }, free: { strategy: 'lowest_cost' } } },
    );
    expect(resolved(r, 'a')).toBe(resolved(r, 'b'));
    expect(resolved(r, 'c')).not.toBe(resolved(r, 'a'));
    expect(resolved(r, 'c').budget?.limitUsd).toBe(6);
    // The tier is part of the policy: a change of one tier must not reach the other's tenants.
    expect(resolved(r, 'd')).not.toBe(resolved(r, 'a'));
  });

  it('never shares a policy with a function: same source text, different closures', async () => {
    const guard = (tenant: string) => ({
      name: 'who',
      stage: 'input' as const,
      check: () => ({ action: 'deny' as const, reason: tenant }),
    });
    const r = registry({
      a: { guardrails: { custom: [guard('a')] } },
      b: { guardrails: { custom: [guard('b')] } },
    });
    const a = resolved(r, 'a');
    const b = resolved(r, 'b');
    expect(a).not.toBe(b);
    const input = { tenant: 'x', user: undefined, stage: 'input' as const, messages: [] };
    expect(await a.guardrails!.custom![0]!.check(input)).toEqual({ action: 'deny', reason: 'a' });
    expect(await b.guardrails!.custom![0]!.check(input)).toEqual({ action: 'deny', reason: 'b' });
  });

  it('never shares a policy with credentials, whose keys the fingerprint leaves out', () => {
    const r = registry({
      a: { credentials: { openai: { id: 'shared', apiKey: 'sk-a' } } },
      b: { credentials: { openai: { id: 'shared', apiKey: 'sk-b' } } },
    });
    const a = resolved(r, 'a');
    const b = resolved(r, 'b');
    expect(a).not.toBe(b);
    expect((a.credentials!.openai as { apiKey: string }).apiKey).toBe('sk-a');
    expect((b.credentials!.openai as { apiKey: string }).apiKey).toBe('sk-b');
  });

  it('applies set() to that tenant alone, and get() returns the policy as set', async () => {
    const policy = { strategy: 'lowest_cost' as const };
    const r = registry({ a: { ...policy }, b: { ...policy } });
    const before = resolved(r, 'a');
    expect(resolved(r, 'b')).toBe(before);
    r.set('a', { strategy: 'balanced' });
    expect(resolved(r, 'a').strategy).toBe('balanced');
    expect(resolved(r, 'b')).toBe(before);
    expect(await r.get('a')).toEqual({ strategy: 'balanced' });
    expect(await r.get('b')).toEqual(policy);
    expect(r.delete('a')).toBe(true);
    expect(() => r.resolve('a')).toThrow(/tenant 'a' is not configured/);
    expect(resolved(r, 'b')).toBe(before);
  });

  it('keeps the shared table bounded when policies keep changing', () => {
    const r = registry({ a: {}, b: {} });
    for (let i = 0; i < 5_000; i++) {
      r.set('a', { maxCostPerRequest: 1 + i });
      resolved(r, 'a');
      resolved(r, 'b');
    }
    // In use: two policies; the table is pruned once it passes twice that plus its slack.
    expect(internedSize(r)).toBeLessThanOrEqual(2 * 2 + 256 + 1);
    expect(resolved(r, 'a').maxCostPerRequest).toBe(5_000);
  });

  it('shares one array per allowedRegions list, whatever the policies around it', () => {
    const r = registry({
      a: { allowedRegions: ['eu'], maxCostPerRequest: 1 },
      b: { allowedRegions: ['eu'], maxCostPerRequest: 2 },
      c: { allowedRegions: ['eu', 'us'] },
    });
    expect(resolved(r, 'a')).not.toBe(resolved(r, 'b'));
    expect(resolved(r, 'a').allowedRegions).toBe(resolved(r, 'b').allowedRegions);
    expect(resolved(r, 'a').allowedRegions).toEqual(['eu']);
    expect(resolved(r, 'c').allowedRegions).toEqual(['eu', 'us']);
  });

  it('shares policies read from an async source too', async () => {
    const source = {
      get: (id: string) => (id === 'nobody' ? undefined : { strategy: 'lowest_cost' as const }),
    };
    const r = registry({}, { source });
    const a = await r.resolve('a');
    expect(await r.resolve('b')).toBe(a);
    await expect(Promise.resolve().then(() => r.resolve('nobody'))).rejects.toThrow(/not configured/);
  });
});
