import { describe, expect, it } from 'vitest';
import { isCacheable, replayParts } from './answer.js';

describe('replayParts', () => {
  const usage = { inputTokens: 3, outputTokens: 4, totalTokens: 7 };

  it('splits the text by words, keeping every character, then tool calls, then the finish', () => {
    const content = '  Hello,  world!\nbye ';
    const parts = replayParts({
      content,
      toolCalls: [{ id: 'c', name: 'f', arguments: { a: 1 } }],
      finishReason: 'tool_calls',
      usage,
    });
    const texts = parts.flatMap((p) => (p.type === 'text' ? [p.text] : []));
    expect(texts.join('')).toBe(content);
    expect(texts).toEqual(['  ', 'Hello,  ', 'world!\n', 'bye ']);
    expect(parts.slice(-2)).toEqual([
      { type: 'tool-call', toolCall: { id: 'c', name: 'f', arguments: { a: 1 } } },
      { type: 'finish', finishReason: 'tool_calls', usage },
    ]);
  });

  it('has no text part for an empty answer', () => {
    expect(replayParts({ content: '', finishReason: 'stop', usage })).toEqual([
      { type: 'finish', finishReason: 'stop', usage },
    ]);
  });
});

describe('isCacheable', () => {
  it('keeps stop and tool_calls only', () => {
    expect(['stop', 'tool_calls', 'length', 'content_filter'].map((r) => isCacheable(r as never))).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
