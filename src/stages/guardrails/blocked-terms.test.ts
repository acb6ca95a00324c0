import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockedTermsProblem, compileBlockedTerms } from './blocked-terms.js';

const matcher = compileBlockedTerms(['ass', 'Project Falcon', 'c++', 'naïve'])!;

describe('blocked terms', () => {
  it('match whole words, case-insensitive', () => {
    expect(matcher.test('what an ASS.')).toBe(true);
    expect(matcher.test('Ass')).toBe(true);
    expect(matcher.test('first class assets, passive, assume')).toBe(false);
  });

  it('match phrases across any whitespace', () => {
    expect(matcher.test('about project  falcon today')).toBe(true);
    expect(matcher.test('about project\nFALCON')).toBe(true);
    expect(matcher.test('projects falconry')).toBe(false);
  });

  it('escape regex characters and handle Unicode word boundaries', () => {
    expect(matcher.test('I write C++ daily')).toBe(true);
    expect(matcher.test('I write c+ daily')).toBe(false);
    expect(matcher.test('a NAÏVE plan')).toBe(true);
    expect(matcher.test('naïveté')).toBe(false);
  });

  it('is undefined for an empty list', () => {
    expect(compileBlockedTerms([' ', ''])).toBeUndefined();
  });
});

describe('stream scanner', () => {
  const run = (parts: string[]) => {
    const scanner = matcher.scanner();
    for (const [i, part] of parts.entries()) if (scanner.push(part)) return i;
    return scanner.end() ? 'end' : false;
  };

  it('catches a term split across parts', () => {
    expect(run(['this is pro', 'ject fal', 'con, ok'])).toBe(2);
    expect(run(['an a', 's', 's!'])).toBe(2);
  });

  it('waits for the next character before deciding a term at the end of a part', () => {
    expect(run(['first cl', 'ass', 'y and', ' more'])).toBe(false);
    expect(run(['an ass', 'et'])).toBe(false);
    expect(run(['an ass', ' here'])).toBe(1);
  });

  it('decides a term at the very end of the text when it ends', () => {
    expect(run(['you ', 'ass'])).toBe('end');
  });

  it('does not flag a word cut by the tail window', () => {
    const long = `${'x'.repeat(40)} cl`;
    expect(run([long, 'ass', 'ic music and more words to push the window'])).toBe(false);
    expect(run(['a'.repeat(100), 'class'.repeat(20), ' fine'])).toBe(false);
  });

  it('finds terms anywhere in a long stream of small parts', () => {
    const text = `${'word '.repeat(200)}and then Project Falcon appears ${'tail '.repeat(50)}`;
    const parts = text.match(/.{1,3}/gs)!;
    expect(run(parts)).not.toBe(false);
  });
});

describe('any string as a term', () => {
  it('matches hyphens, regex syntax, backslashes, emoji, combining marks and RTL text literally', () => {
    const m = compileBlockedTerms(['self-harm', '[x]', 'a\\b', '.*', '🔥', 'cafe\u0301', 'שלום', '(?<n>'])!;
    for (const text of [
      'SELF-HARM!',
      'see [X]',
      'A\\B',
      'this .* that',
      'on 🔥 now',
      'CAFE\u0301',
      'שלום לך',
      '(?<N>',
    ])
      expect(m.test(text), text).toBe(true);
    for (const text of [
      'self harm',
      'selfharm',
      'x',
      'a\\\\b',
      'this . that',
      'cafe',
      'cafe\u0301s',
      'שלומי',
    ])
      expect(m.test(text), text).toBe(false);
  });

  it('puts a word boundary only where the term has a word character', () => {
    const m = compileBlockedTerms(['-v', 'c++', '𝒜bc'])!;
    expect(m.test('ls -v')).toBe(true);
    expect(m.test('ls-v')).toBe(true);
    expect(m.test('ls -very')).toBe(false);
    expect(m.test('c++20')).toBe(true);
    expect(m.test('xc++')).toBe(false);
    // An astral letter is a word character too: no match inside a word.
    expect(m.test('x𝒜bc')).toBe(false);
    expect(m.test('(𝒜bc)')).toBe(true);
  });

  it('refuses a term made only of whitespace, naming it', () => {
    expect(blockedTermsProblem(['ok', ' \n\t'])).toMatchObject({ index: 1 });
    expect(blockedTermsProblem(['ok', '-'])).toBeUndefined();
  });

  it('decides a shorter term at once, even when a longer one it starts may still follow', () => {
    const scanner = compileBlockedTerms(['foo', 'foo bar'])!.scanner();
    expect(scanner.push('say foo bar')).toBe(true);
  });

  it('finds a phrase split across parts by a whitespace run longer than the phrase', () => {
    const scanner = compileBlockedTerms(['a b'])!.scanner();
    expect(scanner.push('x a')).toBe(false);
    expect(scanner.push(' '.repeat(100))).toBe(false);
    expect(scanner.push('\n'.repeat(100))).toBe(false);
    expect(scanner.push('b.')).toBe(true);
  });
});

/*
 * The property: for any list of non-blank terms, compiling never throws, and `test` (and a
 * stream scanner fed the same text in random parts) says a text holds a term exactly when a
 * plain reading of the documented rules says so: the term's words in order, case-folded,
 * separated by whitespace runs, with a word boundary at an end that is a word character.
 */
const WORD = /^[\p{L}\p{N}\p{M}_]$/u;
const SPACE = /^\s$/;
const folds = new Map<string, RegExp>();

/** Equal under Unicode simple case folding (what a case-insensitive Unicode regex applies). */
function sameChar(a: string, b: string): boolean {
  if (a === b) return true;
  let fold = folds.get(a);
  if (!fold) {
    fold = new RegExp(`^\\u{${a.codePointAt(0)!.toString(16)}}$`, 'iu');
    folds.set(a, fold);
  }
  return fold.test(b);
}

/** The documented rules, read plainly, one code point at a time. */
function holds(text: string, term: string): boolean {
  const words = term
    .trim()
    .split(/\s+/)
    .map((w) => Array.from(w));
  const first = words[0]![0]!;
  const last = words.at(-1)!.at(-1)!;
  const cps = Array.from(text);
  for (let i = 0; i < cps.length; i++) {
    if (WORD.test(first) && i > 0 && WORD.test(cps[i - 1]!)) continue;
    let j = i;
    const matched = words.every((word, k) => {
      if (k > 0) {
        if (j >= cps.length || !SPACE.test(cps[j]!)) return false;
        while (j < cps.length && SPACE.test(cps[j]!)) j++;
      }
      return word.every((ch) => j < cps.length && sameChar(ch, cps[j++]!));
    });
    if (!matched) continue;
    if (WORD.test(last) && j < cps.length && WORD.test(cps[j]!)) continue;
    return true;
  }
  return false;
}

const TRICKY = [
  ...'-[]\\/^$.*+?(){}|_,:;\'"!#%&=<>@`~',
  ' ',
  '\t',
  '\n',
  '\u00a0',
  '\u3000',
  ...'aAkKsSiIzZ09',
  ...'ßẞſKİıΣσςǅ',
  '\u0301',
  '\u200d',
  '\u202e',
  '🔥',
  '👩‍💻',
  '𝒜',
  '\ud83d',
  '\ude00',
  ...'שלוםمرحبا',
  '٣',
];
const unit = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const term = fc.string({ unit, minLength: 1, maxLength: 6 }).filter((t) => t.trim().length > 0);

/** The term as a user might write it in a text: case changed per character, other whitespace. */
function variantOf(t: string): fc.Arbitrary<string> {
  const chars = Array.from(t.trim());
  return fc.array(fc.nat({ max: 3 }), { minLength: chars.length, maxLength: chars.length }).map((choices) =>
    chars
      .map((ch, i) => {
        const choice = choices[i]!;
        if (SPACE.test(ch)) return [' ', '\n', '\t ', '   '][choice]!;
        const changed = choice === 1 ? ch.toUpperCase() : choice === 2 ? ch.toLowerCase() : ch;
        return Array.from(changed).length === 1 && sameChar(ch, changed) ? changed : ch;
      })
      .join(''),
  );
}

/** Feeds `text` to a scanner in parts cut at `cuts`; the index of the part that found a term, 'end', or false. */
function scan(terms: string[], text: string, cuts: number[]): number | 'end' | false {
  const scanner = compileBlockedTerms(terms)!.scanner();
  const at = [0, ...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const parts = at.map((from, i) => text.slice(from, at[i + 1] ?? text.length));
  for (const [i, part] of parts.entries()) if (scanner.push(part)) return i;
  return scanner.end() ? 'end' : false;
}

describe('blocked terms, property', () => {
  it('compiles any non-empty string, and refuses only whitespace', () => {
    fc.assert(
      fc.property(fc.string({ unit, minLength: 1, maxLength: 12 }), (t) => {
        const problem = blockedTermsProblem([t]);
        if (t.trim().length === 0) expect(problem).toMatchObject({ index: 0 });
        else {
          expect(problem).toBeUndefined();
          expect(compileBlockedTerms([t])!.test(t)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('finds a term written into any text, however cased and spaced', () => {
    const scenario = fc.array(term, { minLength: 1, maxLength: 4 }).chain((terms) =>
      fc.record({
        terms: fc.constant(terms),
        written: fc.constantFrom(...terms).chain(variantOf),
        before: fc.string({ unit, maxLength: 8 }),
        after: fc.string({ unit, maxLength: 8 }),
        cuts: fc.array(fc.nat(), { maxLength: 6 }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ terms, written, before, after, cuts }) => {
        const text = `${before} ${written}.${after}`;
        expect(compileBlockedTerms(terms)!.test(text)).toBe(true);
        expect(scan(terms, text, cuts)).not.toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('says a text holds a term exactly when the rules do, whole or in parts', () => {
    const scenario = fc.array(term, { minLength: 1, maxLength: 3 }).chain((terms) =>
      fc.record({
        terms: fc.constant(terms),
        text: fc
          .array(fc.oneof(unit, fc.constantFrom(...terms).chain(variantOf)), { maxLength: 10 })
          .map((parts) => parts.join('')),
        cuts: fc.array(fc.nat(), { maxLength: 6 }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ terms, text, cuts }) => {
        const expected = terms.some((t) => holds(text, t));
        expect(compileBlockedTerms(terms)!.test(text)).toBe(expected);
        const found = scan(terms, text, cuts);
        expect(found !== false).toBe(expected);
      }),
      { numRuns: 250 },
    );
  });
});
