import { describe, expect, it } from 'vitest';
import type { CachedAnswer } from './answer.js';
import { parseCachedAnswer } from './shared.js';

const answer: CachedAnswer = {
  model: 'm',
  content: 'hi',
  toolCalls: [{ id: 'c', name: 'f', arguments: { a: 1 } }],
  finishReason: 'tool_calls',
  usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3, reasoningTokens: 1 },
  costUsd: 0.001,
};

describe('parseCachedAnswer', () => {
  it('reads back what the router writes, keeping only the fields of an answer', () => {
    expect(parseCachedAnswer(JSON.stringify(answer))).toEqual(answer);
    const extra = { ...answer, usage: { ...answer.usage, evil: 1 }, more: true };
    expect(parseCachedAnswer(JSON.stringify(extra))).toEqual(answer);
  });

  it.each([
    ['not JSON', '{'],
    ['not an object', '"text"'],
    ['an array', '[]'],
    ['no model', JSON.stringify({ ...answer, model: '' })],
    ['content not a string', JSON.stringify({ ...answer, content: null })],
    ['a finish never cached', JSON.stringify({ ...answer, finishReason: 'length' })],
    ['a negative cost', JSON.stringify({ ...answer, costUsd: -1 })],
    ['usage missing a count', JSON.stringify({ ...answer, usage: { inputTokens: 1, outputTokens: 2 } })],
    [
      'an optional count of the wrong type',
      JSON.stringify({ ...answer, usage: { ...answer.usage, cachedInputTokens: '1' } }),
    ],
    ['tool calls not an array', JSON.stringify({ ...answer, toolCalls: {} })],
    ['a tool call without arguments', JSON.stringify({ ...answer, toolCalls: [{ id: 'c', name: 'f' }] })],
  ])('is undefined for %s', (_name, text) => {
    expect(parseCachedAnswer(text)).toBeUndefined();
  });
});
