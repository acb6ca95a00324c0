import { describe, expect, it } from 'vitest';
import { compileMatcher, compilePolicy, mergePolicies } from './policy.js';

describe('policies', () => {
  it('merge defaults ← tier ← tenant field by field, nested objects one level deep', () => {
    const key = (id: string) => ({ id, apiKey: `key-${id}` });
    const merged = mergePolicies(
      { strategy: 'lowest_cost', credentials: { openai: key('o1') }, allowedModels: ['a', 'b'] },
      { credentials: { mistral: key('m1') }, allowedModels: ['c'] },
      { strategy: 'balanced', maxCostPerRequest: undefined },
    );
    expect(merged).toEqual({
      strategy: 'balanced',
      credentials: { openai: key('o1'), mistral: key('m1') },
      allowedModels: ['c'],
    });
  });

  it('default to force_model when a model is pinned, else balanced', () => {
    expect(compilePolicy({ model: 'x' }, 1).strategy).toBe('force_model');
    expect(compilePolicy({}, 1).strategy).toBe('balanced');
  });

  it('match exact ids and globs, and nothing else', () => {
    const matches = compileMatcher(['gpt-5*', 'claude-?aiku-4-5', 'mistral.large']);
    expect(matches('gpt-5-mini')).toBe(true);
    expect(matches('claude-haiku-4-5')).toBe(true);
    expect(matches('mistral.large')).toBe(true);
    expect(matches('mistralXlarge')).toBe(false);
    expect(matches('xgpt-5')).toBe(false);
  });
});
