import type { PiiType } from '../../pipeline/policy.js';

/**
 * Built-in PII detection: pure functions over text, regexes compiled once at module load.
 *
 * Each kind is a pattern plus, where one exists, a checksum or range test, tuned for
 * precision on the look-alikes that fill prompts (dates, prices, order numbers, versions,
 * timestamps). Decisions:
 * - `email`: `local@domain.tld` with a TLD of 2+ letters; image names such as `icon@2x.png` are not emails.
 * - `phone`: `+` and a country code with 8–15 digits in all (E.164), or a NANP number
 *   `(415) 555-2671`, `415-555-2671`, `415.555.2671`, `1-800-555-0199` (area and exchange
 *   codes start 2–9). A bare run of digits without `+` or separators is not a phone (order numbers).
 * - `card`: 13–19 digits, optionally grouped by spaces or dashes, starting 2–6 (the card
 *   networks' ranges), passing the Luhn check.
 * - `ssn`: `AAA-GG-SSSS` only (dashes), area not 000, 666 or 9xx; group not 00; serial not 0000.
 * - `iban`: upper-case country code, 2 check digits, the BBAN (compact or in groups of 4),
 *   the country's length when known, mod-97 = 1.
 * - `ip`: IPv4 with octets 0–255 and no leading zeros; IPv6 (full, compressed, IPv4-mapped)
 *   holding at least one decimal digit (so `add::bee` stays). A bare `1.2.3.4` IS an IPv4
 *   address and is found; a version written `v1.2.3.4` or with a fifth part (`1.2.3.4.5`) is not.
 */

/** A found value: its kind and where it is; the value itself is `text.slice(start, end)`. */
export interface PiiMatch {
  kind: PiiType;
  start: number;
  end: number;
}

export const PII_TYPES: readonly PiiType[] = ['email', 'phone', 'card', 'ssn', 'iban', 'ip'];

/** The placeholder that replaces each kind. */
export const PII_PLACEHOLDERS: Readonly<Record<PiiType, string>> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  card: '[CARD]',
  ssn: '[SSN]',
  iban: '[IBAN]',
  ip: '[IP]',
};

const EMAIL =
  /(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?!(?:png|jpe?g|gif|svg|webp)\b)[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])/g;

// One digit (or parenthesized group) per repetition, each with at most one separator before
// it: a run of digits splits one way only, so a `+` before a long digit run backtracks at most
// 40 steps. (Groups of 1-5 digits, `(?:[ .-]?\d{1,5}){1,7}`, split a run in thousands of ways:
// 64 KB of `+111…1 ` took 1.7 s.) The digit count (8-15) is checked after the match.
const PHONE_INTL = /(?<![\w+])\+[1-9](?:[ .-]?(?:\d|\(\d{1,4}\))){1,40}(?![\w]|[.,:/-]\d)/g;
const PHONE_US =
  /(?<![\w+.,/:-])(?:1[ .-])?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}(?![\w]|[.,:/-]\d)/g;

const CARD = /(?<![\w.,+/:-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\w]|[.,:/-]\d)/g;

const SSN = /(?<![\w.,/:-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w]|[.,:/-]\d)/g;

const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g;

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_BODY = `${OCTET}(?:\\.${OCTET}){3}`;
const IPV4 = new RegExp(`(?<![\\w.])${IPV4_BODY}(?![\\w]|\\.\\d)`, 'g');
const H = '[0-9A-Fa-f]{1,4}';
const IPV6 = new RegExp(
  `(?<![\\w:.])(?:${[
    `::(?:[Ff]{4}:)?${IPV4_BODY}`,
    `(?:${H}:){7}${H}`,
    `(?:${H}:){1,6}:${H}`,
    `(?:${H}:){1,5}(?::${H}){1,2}`,
    `(?:${H}:){1,4}(?::${H}){1,3}`,
    `(?:${H}:){1,3}(?::${H}){1,4}`,
    `(?:${H}:){1,2}(?::${H}){1,5}`,
    `${H}:(?::${H}){1,6}`,
    `::(?:${H}:){0,6}${H}`,
    `(?:${H}:){1,7}:`,
  ].join('|')})(?![\\w:]|\\.\\d)`,
  'g',
);

/** IBAN length by country (ISO 13616 registry); an unlisted country needs 15–34 characters. */
const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 ' +
    'EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 ' +
    'JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 ' +
    'NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 ' +
    'TL23 TN24 TR26 UA29 VA22 VG24 XK20'
  )
    .split(' ')
    .map((e) => [e.slice(0, 2), Number(e.slice(2))] as const),
);

const SEPARATORS = /[ .()-]/g;
const HAS_DIGIT = /\d/;

/** The Luhn checksum of a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 13616 mod-97 check of a compact, upper-case IBAN. */
export function ibanValid(compact: string): boolean {
  const known = IBAN_LENGTHS.get(compact.slice(0, 2));
  if (known !== undefined ? compact.length !== known : compact.length < 15 || compact.length > 34)
    return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let rest = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    const value = code >= 65 ? code - 55 : code - 48;
    rest = value >= 10 ? (rest * 100 + value) % 97 : (rest * 10 + value) % 97;
  }
  return rest === 1;
}

function digitCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** A detector: its regex and the test a regex match must pass too. */
interface Detector {
  kind: PiiType;
  pattern: RegExp;
  valid?: (value: string) => boolean;
  /** An invalid match still claims its span: an IBAN-shaped value with a bad checksum is not a card. */
  shieldInvalid?: boolean;
  /** A character every match of `pattern` holds: a text without it is not scanned. */
  needs?: string;
}

/**
 * In precedence order: where two matches overlap, the earlier detector wins (an IBAN's
 * digits are not a card; a card's digit groups are not a phone). Every detector runs, whatever
 * `types` asks for, so a kind left out still shields its span from a look-alike kind.
 */
const DETECTORS: readonly Detector[] = [
  { kind: 'email', pattern: EMAIL, needs: '@' },
  { kind: 'iban', pattern: IBAN, valid: (v) => ibanValid(v.replace(SEPARATORS, '')), shieldInvalid: true },
  {
    kind: 'card',
    pattern: CARD,
    valid: (v) => {
      const digits = v.replace(SEPARATORS, '');
      return digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
    },
  },
  { kind: 'ssn', pattern: SSN, needs: '-' },
  { kind: 'ip', pattern: IPV6, valid: (v) => HAS_DIGIT.test(v), needs: ':' },
  { kind: 'ip', pattern: IPV4, needs: '.' },
  {
    kind: 'phone',
    pattern: PHONE_INTL,
    needs: '+',
    valid: (v) => {
      const n = digitCount(v);
      return n >= 8 && n <= 15;
    },
  },
  { kind: 'phone', pattern: PHONE_US },
];

/** A quick pre-test: no PII kind is possible without a digit or an `@`. */
const MAYBE_PII = /[\d@]/;

/**
 * Finds the PII in `text`, of the kinds in `types` (default: all), sorted by position,
 * never overlapping.
 */
export function findPii(text: string, types?: readonly PiiType[]): PiiMatch[] {
  if (!MAYBE_PII.test(text)) return [];
  // Spans claimed so far, sorted by start and disjoint: an overlap test is a binary search,
  // so a text with 100,000 matches costs n log n, not n² (a linear scan took seconds per MB).
  let taken: Claimed[] = [];
  for (const { kind, pattern, valid, shieldInvalid, needs } of DETECTORS) {
    // A native substring search is much cheaper than a regex that cannot match.
    if (needs !== undefined && !text.includes(needs)) continue;
    // One detector's matches come in order and never overlap one another.
    const added: Claimed[] = [];
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      if (overlapsAny(taken, start, end)) continue;
      if (valid && !valid(m[0])) {
        if (shieldInvalid) added.push({ kind, start, end, shield: true });
        continue;
      }
      added.push({ kind, start, end });
    }
    if (added.length > 0) taken = mergeByStart(taken, added);
  }
  return taken.filter((t) => !t.shield && (!types || types.includes(t.kind)));
}

type Claimed = PiiMatch & { shield?: true };

/** True when [start, end) overlaps a span of `spans` (sorted by start, disjoint). */
function overlapsAny(spans: readonly Claimed[], start: number, end: number): boolean {
  // The first span that ends after `start`; spans before it end at or before `start`.
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (spans[mid]!.end <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo < spans.length && spans[lo]!.start < end;
}

/** Two lists sorted by start, merged into one. */
function mergeByStart(a: readonly Claimed[], b: readonly Claimed[]): Claimed[] {
  const out: Claimed[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.start < b[j]!.start)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

/** Replaces each PII value by its placeholder (`[EMAIL]`…); `kinds` lists the kinds found. */
export function redactPii(text: string, types?: readonly PiiType[]): { text: string; kinds: PiiType[] } {
  const found = findPii(text, types);
  if (found.length === 0) return { text, kinds: [] };
  let out = '';
  let at = 0;
  const kinds: PiiType[] = [];
  for (const match of found) {
    out += text.slice(at, match.start) + PII_PLACEHOLDERS[match.kind];
    at = match.end;
    if (!kinds.includes(match.kind)) kinds.push(match.kind);
  }
  return { text: out + text.slice(at), kinds };
}
