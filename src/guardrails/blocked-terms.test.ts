import { describe, expect, it } from 'vitest';
import type { Guardrails } from '../pipeline/policy.js';
import { blockedTermsOf, compileBlockedTerms } from './blocked-terms.js';

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

  it('compiles once per policy object', () => {
    const guardrails: Guardrails = { blockedTerms: ['x'] };
    expect(blockedTermsOf(guardrails)).toBe(blockedTermsOf(guardrails));
    expect(blockedTermsOf({ blockedTerms: ['x'] })).not.toBe(blockedTermsOf(guardrails));
    expect(blockedTermsOf({})).toBeUndefined();
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
