import { describe, expect, it } from 'vitest';
import type { TenantPolicy } from './policy.js';
import { policyFingerprint } from './policy-fingerprint.js';

describe('policyFingerprint', () => {
  const base: TenantPolicy = { strategy: 'balanced', allowedModels: ['a', 'b'], cache: { ttlMs: 1000 } };

  it('is the same for the same policy whatever its key order, and changes with any field', () => {
    const same: TenantPolicy = { cache: { ttlMs: 1000 }, allowedModels: ['a', 'b'], strategy: 'balanced' };
    expect(policyFingerprint(same)).toBe(policyFingerprint(base));
    expect(policyFingerprint({ ...base, allowedModels: ['b', 'a'] })).not.toBe(policyFingerprint(base));
    expect(policyFingerprint({ ...base, systemPrompt: 'x' })).not.toBe(policyFingerprint(base));
  });

  it('reads credentials by id only: a rotated API key keeps it, another credential changes it', () => {
    const withKey = (id: string, apiKey: string) => ({ ...base, credentials: { openai: { id, apiKey } } });
    expect(policyFingerprint(withKey('c1', 'sk-old'))).toBe(policyFingerprint(withKey('c1', 'sk-new')));
    expect(policyFingerprint(withKey('c2', 'sk-old'))).not.toBe(policyFingerprint(withKey('c1', 'sk-old')));
  });

  it('reads a function by its source and an object that is not plain data by its identity', () => {
    const guard = (check: () => boolean): TenantPolicy =>
      ({ ...base, guardrails: { custom: [{ name: 'g', check }] } }) as unknown as TenantPolicy;
    expect(policyFingerprint(guard(() => true))).toBe(policyFingerprint(guard(() => true)));
    expect(policyFingerprint(guard(() => false))).not.toBe(policyFingerprint(guard(() => true)));
    class Schema {
      safeParse() {
        return { success: true };
      }
    }
    const schema = new Schema();
    const withSchema = (s: Schema) => ({ ...base, guardrails: { outputSchema: s } }) as TenantPolicy;
    expect(policyFingerprint(withSchema(schema))).toBe(policyFingerprint(withSchema(schema)));
    expect(policyFingerprint(withSchema(new Schema()))).not.toBe(policyFingerprint(withSchema(schema)));
  });
});
