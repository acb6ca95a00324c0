import { describe, expect, it } from 'vitest';
import type { Message } from '../../types.js';
import { rewriteMessageText, someMessageText } from './messages.js';

const upper = (text: string) => (text.includes('secret') ? text.replace(/secret/g, '[X]') : text);

describe('rewriteMessageText', () => {
  it('returns undefined when nothing changes (no copy)', () => {
    const messages: Message[] = [{ role: 'user', content: 'hello' }];
    expect(rewriteMessageText(messages, upper)).toBeUndefined();
  });

  it('rewrites every text a conversation carries, without touching the original', () => {
    const messages: Message[] = [
      { role: 'system', content: 'secret system' },
      { role: 'user', content: [{ type: 'text', text: 'a secret' }] },
      {
        role: 'assistant',
        content: 'ok',
        toolCalls: [{ id: 't1', name: 'look', arguments: { q: 'secret', n: 1, nested: ['secret'] } }],
      },
      { role: 'tool', toolCallId: 't1', content: 'secret result' },
    ];
    const copy = structuredClone(messages);
    const out = rewriteMessageText(messages, upper)!;
    expect(JSON.stringify(out)).not.toContain('secret');
    expect(out[2]).toMatchObject({
      content: 'ok',
      toolCalls: [{ arguments: { q: '[X]', n: 1, nested: ['[X]'] } }],
    });
    expect(messages).toEqual(copy);
  });

  it('someMessageText tests each text', () => {
    const messages: Message[] = [{ role: 'tool', toolCallId: 'a', content: 'a secret' }];
    expect(someMessageText(messages, (t) => t.includes('secret'))).toBe(true);
    expect(someMessageText(messages, (t) => t.includes('nope'))).toBe(false);
  });
});
