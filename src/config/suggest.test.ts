import { describe, expect, it } from 'vitest';
import { closest, editDistance, globDistance } from './suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps, ignoring case', () => {
    expect(editDistance('claude-sonet-5-5', 'claude-sonnet-5-5')).toBe(1);
    expect(editDistance('gpt-6-lune', 'gpt-6-luna')).toBe(1);
    expect(editDistance('glod', 'gold')).toBe(1);
    expect(editDistance('EU', 'eu')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('globDistance', () => {
  it('lets * and ? match for free and counts the edits left', () => {
    expect(globDistance('gpt-6*', 'gpt-6-luna')).toBe(0);
    expect(globDistance('gtp-6*', 'gpt-6-luna')).toBe(1);
    expect(globDistance('gpt-5*', 'gpt-6-luna')).toBe(1);
    expect(globDistance('claude-?pus-*', 'claude-opus-5-5')).toBe(0);
    expect(globDistance('*-nano', 'gpt-6-luna')).toBe(3);
    expect(globDistance('*', '')).toBe(0);
    expect(globDistance('a*', '')).toBe(1);
  });
});

describe('closest', () => {
  const ids = ['claude-sonnet-5-5', 'claude-sonnet-4-6', 'gpt-6-luna', 'mistral-small-latest'];

  it('finds the name meant by a typo', () => {
    expect(closest('claude-sonet-5-5', ids)).toBe('claude-sonnet-5-5');
    expect(closest('mistral-smal-latest', ids)).toBe('mistral-small-latest');
    expect(closest('EU', ['eu', 'us'])).toBe('eu');
  });

  it('suggests nothing when no name is near', () => {
    expect(closest('llama-4-maverick', ids)).toBeUndefined();
    expect(closest('gold', ['enterprise', 'free'])).toBeUndefined();
  });

  it('measures a glob by the strings it matches', () => {
    expect(closest('gpt-5*', ids, globDistance)).toBe('gpt-6-luna');
    expect(closest('*-nano', ids, globDistance)).toBeUndefined();
  });
});
