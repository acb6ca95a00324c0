/*
 * Precision of the built-in PII detector: for each kind, true positives it must find and
 * look-alikes it must leave alone (no kind at all may fire on them).
 *
 *   kind    positives  look-alikes
 *   email        6          6
 *   phone        9         10
 *   card         6          7
 *   ssn          4          8
 *   iban         5          6
 *   ip           9         10
 *   total       39         47   (all found, none flagged)
 *
 * Decision: a bare `1.2.3.4` is a valid IPv4 address and is found; versions written
 * `v1.2.3.4` or with a fifth part (`1.2.3.4.5`) are not.
 */
import { describe, expect, it } from 'vitest';
import type { PiiType } from '../../pipeline/policy.js';
import { findPii, ibanValid, luhnValid, redactPii } from './pii.js';

const CASES: Record<PiiType, { positives: string[]; lookAlikes: string[] }> = {
  email: {
    positives: [
      'jane.doe@example.com',
      'j.doe+invoices@mail.example.co.uk',
      'ADMIN@EXAMPLE.ORG',
      'first_last@sub-domain.example.io',
      'x@ex.ample.museum',
      'user%relay@example.net',
    ],
    lookAlikes: [
      'icon@2x.png',
      'ping @channel now',
      'user@localhost',
      'a@b.c',
      'git@ is not an address',
      'email at example dot com',
    ],
  },
  phone: {
    positives: [
      '+44 20 7946 0958',
      '+1 (415) 555-2671',
      '+33 1 23 45 67 89',
      '+4915112345678',
      '+81-3-1234-5678',
      '(415) 555-2671',
      '415-555-2671',
      '415.555.2671',
      '1-800-555-0199',
    ],
    lookAlikes: [
      '2026-11-23',
      'order 4155552671',
      'Order #123-456-7890',
      'price $1,234.56',
      '1234.5678',
      '+5.00 today',
      'UTC+05:30',
      '2026-11-23T10:15:30Z',
      'ext 555-2671',
      'score 3-2, 12-10',
    ],
  },
  card: {
    positives: [
      '4111 1111 1111 1111',
      '4111-1111-1111-1111',
      '5555555555554444',
      '378282246310005',
      '6011 0009 9013 9424',
      '2223 0031 2200 3222',
    ],
    lookAlikes: [
      '4111 1111 1111 1112',
      '1234567812345678',
      'ts 1763893200000',
      '4111 1111 111',
      '12345678901234567890123',
      'invoice 2026-11-23-0001',
      '3.14159265358979',
    ],
  },
  ssn: {
    positives: ['078-05-1120', '123-45-6789', '555-12-3456', '899-99-9999'],
    lookAlikes: [
      '000-12-3456',
      '666-12-3456',
      '900-12-3456',
      '123-00-4567',
      '123-45-0000',
      '123456789',
      '2026-11-23',
      '123-45-67890',
    ],
  },
  iban: {
    positives: [
      'DE89 3704 0044 0532 0130 00',
      'DE89370400440532013000',
      'GB82 WEST 1234 5698 7654 32',
      'FR14 2004 1010 0505 0001 3M02 606',
      'NL91ABNA0417164300',
    ],
    lookAlikes: [
      'DE89 3704 0044 0532 0130 01',
      'GB82 WEST 1234 5698 7654 33',
      'DE89 3704 0044',
      'NL91ABNA041716430',
      'AB12 CDEF GHIJ KLMN',
      'SKU XY12 3456 7890 1234',
    ],
  },
  ip: {
    positives: [
      '192.168.1.1',
      '10.0.0.255',
      '8.8.8.8',
      '1.2.3.4',
      '2001:db8::ff00:42:8329',
      '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
      '::1',
      'fe80::1',
      '::ffff:192.0.2.1',
    ],
    lookAlikes: [
      '999.1.1.1',
      '256.1.1.1',
      '192.168.1',
      'v1.2.3.4',
      '1.2.3.4.5',
      '01.02.03.04',
      '10:15:30',
      '2026-11-23T10:15:30Z',
      'std::vector',
      'price 1.234.567',
    ],
  },
};

describe('findPii precision', () => {
  for (const [kind, { positives, lookAlikes }] of Object.entries(CASES) as [
    PiiType,
    (typeof CASES)[PiiType],
  ][]) {
    it.each(positives)(`finds ${kind}: %s`, (value) => {
      const text = `before ${value} after.`;
      const found = findPii(text);
      expect(found.map((m) => m.kind)).toEqual([kind]);
      expect(text.slice(found[0]!.start, found[0]!.end)).toBe(value);
    });
    it.each(lookAlikes)(`leaves alone (${kind} look-alike): %s`, (value) => {
      expect(findPii(`before ${value} after.`)).toEqual([]);
    });
  }

  it('the table in the header holds the counts', () => {
    const counts = Object.values(CASES).map((c) => [c.positives.length, c.lookAlikes.length]);
    expect(counts).toEqual([
      [6, 6],
      [9, 10],
      [6, 7],
      [4, 8],
      [5, 6],
      [9, 10],
    ]);
  });
});

describe('redactPii', () => {
  it('replaces each kind with its typed placeholder and lists the kinds', () => {
    const text =
      'Mail jane@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111, SSN 078-05-1120, ' +
      'IBAN DE89 3704 0044 0532 0130 00, from 10.0.0.1.';
    const out = redactPii(text);
    expect(out.text).toBe('Mail [EMAIL] or call [PHONE]; card [CARD], SSN [SSN], IBAN [IBAN], from [IP].');
    expect(out.kinds.sort()).toEqual(['card', 'email', 'iban', 'ip', 'phone', 'ssn']);
  });

  it('limits itself to `types`, and a skipped kind still shields its digits from look-alikes', () => {
    const text = 'jane@example.com, IBAN DE89 3704 0044 0532 0130 00';
    expect(redactPii(text, ['email']).text).toBe('[EMAIL], IBAN DE89 3704 0044 0532 0130 00');
    expect(redactPii(text, ['card']).text).toBe(text);
  });

  it('returns the same string when nothing is found', () => {
    const text = 'nothing to see on 2026-11-23';
    expect(redactPii(text)).toEqual({ text, kinds: [] });
  });

  it('is stable across calls (global regexes reset)', () => {
    expect(findPii('a@example.com')).toHaveLength(1);
    expect(findPii('a@example.com')).toHaveLength(1);
  });
});

describe('checksums', () => {
  it('luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
  it('iban mod-97 and country length', () => {
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('GB82WEST1234569876543')).toBe(false);
    expect(ibanValid('GB83WEST12345698765432')).toBe(false);
  });
});
