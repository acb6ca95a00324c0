import { describe, expect, it } from 'vitest';
import { requestId } from './request-id.js';

describe('requestId', () => {
  it('makes version-4 UUIDs, all different, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const id = requestId();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(100_000);
  });

  it('spreads its hex digits evenly (no fixed byte)', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const hex = requestId().replaceAll('-', '');
      // Every position except the version nibble (12) and the variant nibble (16).
      for (let j = 0; j < 32; j++) if (j !== 12 && j !== 16) counts[Number.parseInt(hex[j]!, 16)]!++;
    }
    const expected = (20_000 * 30) / 16;
    for (const count of counts) expect(Math.abs(count - expected) / expected).toBeLessThan(0.05);
  });
});
