import { describe, expect, it } from 'vitest';
import { LogHistogram } from './histogram.js';

describe('LogHistogram.merge', () => {
  it('gives the quantiles of the union of both samples, within the accuracy', () => {
    const a = new LogHistogram(0.02);
    const b = new LogHistogram(0.02);
    const union = new LogHistogram(0.02);
    for (let v = 1; v <= 1000; v++) {
      (v % 3 === 0 ? a : b).record(v * 7);
      union.record(v * 7);
    }
    a.merge(b);
    expect(a.count).toBe(1000);
    for (const q of [0.5, 0.95, 0.99]) {
      expect(a.quantile(q)).toBe(union.quantile(q));
      expect(Math.abs(a.quantile(q) - q * 7000) / (q * 7000)).toBeLessThan(0.03);
    }
  });

  it('refuses a histogram of another accuracy', () => {
    expect(() => new LogHistogram(0.02).merge(new LogHistogram(0.05))).toThrow(/different accuracy/);
  });
});
