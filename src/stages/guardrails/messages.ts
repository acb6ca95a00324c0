import type { Message } from '../../types.js';

/**
 * Applies `rewrite` to every text a message list carries (system, user text parts, assistant
 * text and the string values of its tool-call arguments, tool results). Returns a new list
 * when some text changed, else undefined: a clean conversation allocates no copy.
 */
export function rewriteMessageText(
  messages: readonly Message[],
  rewrite: (text: string) => string,
): Message[] | undefined {
  let out: Message[] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    const next = rewriteMessage(message, rewrite);
    if (next !== message) {
      out ??= messages.slice();
      out[i] = next;
    }
  }
  return out;
}

function rewriteMessage(message: Message, rewrite: (text: string) => string): Message {
  switch (message.role) {
    case 'user': {
      if (typeof message.content === 'string') {
        const content = rewrite(message.content);
        return content === message.content ? message : { ...message, content };
      }
      let changed = false;
      const parts = message.content.map((part) => {
        if (part.type !== 'text') return part;
        const text = rewrite(part.text);
        if (text === part.text) return part;
        changed = true;
        return { ...part, text };
      });
      return changed ? { ...message, content: parts } : message;
    }
    case 'assistant': {
      const content = message.content === undefined ? undefined : rewrite(message.content);
      let changed = content !== message.content;
      const toolCalls = message.toolCalls?.map((call) => {
        const args = rewriteJson(call.arguments, rewrite) as Record<string, unknown>;
        if (args === call.arguments) return call;
        changed = true;
        return { ...call, arguments: args };
      });
      if (!changed) return message;
      return {
        ...message,
        ...(content !== undefined && { content }),
        ...(toolCalls !== undefined && { toolCalls }),
      };
    }
    default: {
      const content = rewrite(message.content);
      return content === message.content ? message : { ...message, content };
    }
  }
}

/** Rewrites the strings of a JSON value; returns the same value when nothing changed. */
function rewriteJson(value: unknown, rewrite: (text: string) => string): unknown {
  if (typeof value === 'string') return rewrite(value);
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const next = rewriteJson(v, rewrite);
      if (next !== v) changed = true;
      return next;
    });
    return changed ? out : value;
  }
  if (typeof value === 'object' && value !== null) {
    let out: Record<string, unknown> | undefined;
    for (const [key, v] of Object.entries(value)) {
      const next = rewriteJson(v, rewrite);
      if (next !== v) {
        out ??= { ...(value as Record<string, unknown>) };
        out[key] = next;
      }
    }
    return out ?? value;
  }
  return value;
}

/** True when `test` holds for some text of the messages (same texts as `rewriteMessageText`). */
export function someMessageText(messages: readonly Message[], test: (text: string) => boolean): boolean {
  let found = false;
  rewriteMessageText(messages, (text) => {
    if (!found && test(text)) found = true;
    return text;
  });
  return found;
}
