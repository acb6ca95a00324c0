import type Anthropic from '@anthropic-ai/sdk';
import type { FinishReason, ToolCall, Usage } from '../../types.js';
import { parseToolArguments } from '../shared.js';
import type { ProviderResponse } from '../types.js';

/**
 * Maps a complete Messages API answer: `content` is its text blocks joined (`''` when it only
 * calls tools), `toolCalls` its `tool_use` blocks; thinking and server-tool blocks are left out.
 */
export function fromMessage(message: Anthropic.Message): ProviderResponse {
  let content = '';
  const toolCalls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') content += block.text;
    else if (block.type === 'tool_use') {
      toolCalls.push({ id: block.id, name: block.name, arguments: parseToolArguments(block.input) });
    }
  }
  return {
    content,
    ...(toolCalls.length > 0 && { toolCalls }),
    finishReason: toFinishReason(message.stop_reason),
    usage: toUsage(message.usage),
  };
}

/**
 * Normalizes a stop reason. `pause_turn` (a server tool paused a long turn) ends this answer as
 * a normal stop; a stop reason this version does not know is treated the same way.
 */
export function toFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** The token counts of an Anthropic usage object, as far as the API reported them. */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/**
 * Anthropic's `input_tokens` counts only the uncached prompt tokens, with cache reads and
 * cache writes reported beside it; our `inputTokens` counts them all, so it is their sum.
 * `cachedInputTokens` is the cache reads.
 */
export function toUsage(usage: AnthropicUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const inputTokens = (usage.input_tokens ?? 0) + cacheRead + (usage.cache_creation_input_tokens ?? 0);
  const outputTokens = usage.output_tokens ?? 0;
  return {
    inputTokens,
    outputTokens,
    ...(typeof usage.cache_read_input_tokens === 'number' && { cachedInputTokens: cacheRead }),
    totalTokens: inputTokens + outputTokens,
  };
}
