import { readFileSync } from 'node:fs';
import type { Message } from '../src/types.js';

/** One prompt of the fixed sample in bench/fixtures/prompts.json. */
export interface SamplePrompt {
  id: string;
  category: string;
  messages: Message[];
}

/**
 * Chat formatting the provider adds on top of each message's content, in tokens. OpenAI
 * documents 3 per message plus the role name (1 token) and 3 to prime the reply for its chat
 * format; Anthropic and Mistral do not publish theirs, so the same is assumed for all three.
 */
export const ASSUMED_TOKENS_PER_MESSAGE = 4;
/** Tokens the provider adds once per request (the reply primer), as above. */
export const ASSUMED_TOKENS_PER_REQUEST = 3;

const ROLES = new Set(['system', 'user', 'assistant']);

/** The fixed sample, checked for shape: text messages with a system, user or assistant role. */
export function loadPrompts(): SamplePrompt[] {
  const path = new URL('./fixtures/prompts.json', import.meta.url);
  const data = JSON.parse(readFileSync(path, 'utf8')) as { prompts?: unknown };
  if (!Array.isArray(data.prompts)) throw new Error(`${path.pathname}: no "prompts" array`);
  return data.prompts.map((raw: unknown, index: number) => {
    const prompt = raw as Partial<SamplePrompt>;
    const ok =
      typeof prompt.id === 'string' &&
      typeof prompt.category === 'string' &&
      Array.isArray(prompt.messages) &&
      prompt.messages.length > 0 &&
      prompt.messages.every((m) => ROLES.has(m.role) && typeof m.content === 'string');
    if (!ok) throw new Error(`${path.pathname}: prompt ${index} is malformed`);
    return prompt as SamplePrompt;
  });
}

/** What the provider would count: each message's text through `countText`, plus the assumed chat formatting. */
export function actualTokens(prompt: SamplePrompt, countText: (text: string) => number): number {
  let tokens = ASSUMED_TOKENS_PER_REQUEST;
  for (const message of prompt.messages) {
    tokens += ASSUMED_TOKENS_PER_MESSAGE;
    if (typeof message.content === 'string') tokens += countText(message.content);
  }
  return tokens;
}
