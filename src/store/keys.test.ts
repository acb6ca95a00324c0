import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyPart } from './keys.js';

describe('keyPart', () => {
  it('is encodeURIComponent, for any id', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' })), (id) => {
        expect(keyPart(id)).toBe(encodeURIComponent(id));
      }),
    );
    expect(keyPart("acme-Corp_1.!~*'()")).toBe("acme-Corp_1.!~*'()");
    expect(keyPart('a}:x{')).toBe('a%7D%3Ax%7B');
  });
});
