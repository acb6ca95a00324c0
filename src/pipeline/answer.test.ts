import { describe, expect, it } from 'vitest';
import type { ProviderResponse, ProviderStreamPart } from '../providers/types.js';
import { type AnswerHandlers, answerEnd, answerPart, onAnswer } from './answer.js';
import type { RouteContext } from './context.js';

const streamCall = () =>
  ({
    mode: 'stream',
    stream: { async *[Symbol.asyncIterator]() {} },
    answerHandlers: undefined,
  }) as unknown as RouteContext;

const answer: ProviderResponse = {
  content: 'hi',
  finishReason: 'stop',
  usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
};

describe('onAnswer', () => {
  it('runs end at once with the response for a complete call', async () => {
    const seen: unknown[] = [];
    const ctx = { mode: 'complete', response: answer } as unknown as RouteContext;
    await onAnswer(ctx, { end: (a) => void seen.push(a) });
    expect(seen).toEqual([answer]);
  });

  it('registers a stream call’s handlers: parts and the end in the order registered, the end once', async () => {
    const ctx = streamCall();
    const log: string[] = [];
    const handler = (name: string): AnswerHandlers => ({
      part: (part) => log.push(`${name}:${part.type}`),
      end: async (a) => {
        await Promise.resolve();
        log.push(`${name}:end:${a?.content}`);
      },
    });
    onAnswer(ctx, handler('inner'));
    onAnswer(ctx, handler('outer'));
    const part: ProviderStreamPart = { type: 'text', text: 'hi' };
    answerPart(ctx, part);
    await answerEnd(ctx, answer);
    await answerEnd(ctx, undefined);
    expect(log).toEqual(['inner:text', 'outer:text', 'inner:end:hi', 'outer:end:hi']);
  });

  it('gives the handlers after a failing end an unfinished stream, and throws the first error', async () => {
    const ctx = streamCall();
    const ends: (string | undefined)[] = [];
    onAnswer(ctx, {
      end: (a) => {
        ends.push(a?.content);
        throw new Error('first');
      },
    });
    onAnswer(ctx, {
      end: (a) => {
        ends.push(a?.content);
        throw new Error('second');
      },
    });
    onAnswer(ctx, { end: (a) => void ends.push(a?.content) });
    await expect(answerEnd(ctx, answer)).rejects.toThrow('first');
    expect(ends).toEqual(['hi', undefined, undefined]);
  });

  it('registers nothing for explain, nor for a stream call without a stream', () => {
    const explain = { mode: 'explain', answerHandlers: undefined } as unknown as RouteContext;
    onAnswer(explain, { end: () => {} });
    expect(explain.answerHandlers).toBeUndefined();
    const failed = { ...streamCall(), stream: undefined } as unknown as RouteContext;
    onAnswer(failed, { end: () => {} });
    expect(failed.answerHandlers).toBeUndefined();
  });
});
