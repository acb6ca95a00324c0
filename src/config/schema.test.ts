import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { TenantPolicy } from '../pipeline/policy.js';
import type { ChatRequest } from '../types.js';
import { type ChatRequestSchema, describeIssues, TenantPolicySchema } from './schema.js';

describe('schemas', () => {
  it('accept exactly the documented public types (checked by tsc)', () => {
    expectTypeOf<z.input<typeof TenantPolicySchema>>().toEqualTypeOf<TenantPolicy>();
    expectTypeOf<z.output<typeof TenantPolicySchema>>().toEqualTypeOf<TenantPolicy>();
    expectTypeOf<Omit<z.input<typeof ChatRequestSchema>, 'signal'>>().toEqualTypeOf<
      Omit<ChatRequest, 'signal'>
    >();
  });

  it('name every failing path with what it expects', () => {
    const result = TenantPolicySchema.safeParse({ minQuality: 2, strategy: 'fastest', budgt: 1 });
    expect(result.success).toBe(false);
    const message = describeIssues(result.error!, 'tenants.acme');
    expect(message).toContain('tenants.acme.strategy');
    expect(message).toContain('tenants.acme.minQuality');
    expect(message).toContain('Unrecognized key: "budgt"');
  });
});
