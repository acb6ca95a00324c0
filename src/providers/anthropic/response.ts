import type Anthropic from '@anthropic-ai/sdk';
import type { FinishReason, ToolCall, Usage } from '../../types.js';
import { parseToolArguments } from '../shared.js';
import type { ProviderResponse } from '../types.js';

/**
 * Maps a complete Messages API answer: `content` is its text blocks joined (`''` when it only
 * calls tools), `toolCalls` its `tool_use` blocks; thinking and server-tool blocks are left out.
 * A `refusal` stop is `content_filter`, with `stop_details.explanation` as `refusal` when the
 * API gave one.
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
  const refusal = refusalText(message.stop_reason, (message as { stop_details?: unknown }).stop_details);
  // Typed as always there; a proxy or a compatible server may still leave it out.
  const usage = message.usage as AnthropicUsage | null | undefined;
  return {
    content,
    ...(toolCalls.length > 0 && { toolCalls }),
    finishReason: toFinishReason(message.stop_reason),
    usage: toUsage(usage ?? {}),
    ...(refusal !== undefined && { refusal }),
    ...(!usage && { usageReported: false }),
  };
}

/** The explanation of a `refusal` stop, when `stop_details` carries one. */
export function refusalText(reason: string | null | undefined, details: unknown): string | undefined {
  if (reason !== 'refusal' || typeof details !== 'object' || details === null) return undefined;
  const explanation = (details as { explanation?: unknown }).explanation;
  return typeof explanation === 'string' && explanation !== '' ? explanation : undefined;
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
  /** The cache writes by lifetime: `ephemeral_5m_input_tokens`, `ephemeral_1h_input_tokens`. */
  cache_creation?: {
    ephemeral_5m_input_tokens?: number | null;
    ephemeral_1h_input_tokens?: number | null;
  } | null;
  /** `thinking_tokens`: the part of `output_tokens` spent thinking. */
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/**
 * Anthropic's `input_tokens` counts only the uncached prompt tokens, with cache reads and
 * cache writes reported beside it; our `inputTokens` counts them all, so it is their sum.
 * `cachedInputTokens` is the cache reads, `cacheWriteInputTokens` the writes (of which
 * `cacheWrite1hInputTokens` went to the 1-hour cache), `reasoningTokens` the thinking
 * tokens, already inside `output_tokens`.
 */
export function toUsage(usage: AnthropicUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const inputTokens = (usage.input_tokens ?? 0) + cacheRead + cacheWrite;
  const outputTokens = usage.output_tokens ?? 0;
  const write1h = usage.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  const thinking = usage.output_tokens_details?.thinking_tokens ?? 0;
  return {
    inputTokens,
    outputTokens,
    ...(typeof usage.cache_read_input_tokens === 'number' && { cachedInputTokens: cacheRead }),
    ...(cacheWrite > 0 && { cacheWriteInputTokens: cacheWrite }),
    ...(write1h > 0 && { cacheWrite1hInputTokens: Math.min(write1h, cacheWrite) }),
    ...(thinking > 0 && { reasoningTokens: thinking }),
    totalTokens: inputTokens + outputTokens,
  };
}
