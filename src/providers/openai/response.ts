import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { FinishReason, ToolCall, Usage } from '../../types.js';
import { parseToolArguments } from '../shared.js';
import type { ProviderResponse } from '../types.js';
import { MalformedResponseError } from './errors.js';

/**
 * Maps a `chat.completion` to a provider response: `content` is always a string (`''`
 * when the model only called tools), tool arguments are parsed, and the finish reason
 * and usage are normalized. Throws `MalformedResponseError` when there is no choice.
 */
export function fromCompletion(completion: ChatCompletion): ProviderResponse {
  const choice = completion.choices?.[0];
  if (!choice?.message) throw new MalformedResponseError('the completion has no choices[0].message');
  const { message } = choice;
  const toolCalls: ToolCall[] = [];
  for (const call of message.tool_calls ?? []) {
    // Custom (free-text) tool calls answer custom tools, which routeplane never sends.
    if (call.type === 'custom') continue;
    toolCalls.push({
      id: call.id,
      name: call.function.name,
      arguments: parseToolArguments(call.function.arguments),
    });
  }
  return {
    content: message.content ?? '',
    ...(toolCalls.length > 0 && { toolCalls }),
    finishReason: toFinishReason(choice.finish_reason),
    usage: toUsage(completion.usage),
  };
}

/**
 * Normalizes OpenAI's finish reason. The legacy `function_call` is a tool call; an absent
 * or unknown reason (compatible servers invent some) counts as `stop`.
 */
export function toFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/**
 * Normalizes OpenAI's usage. `cachedInputTokens` is set only when the provider reported
 * `prompt_tokens_details.cached_tokens`; missing usage (some compatible servers) is zero.
 */
export function toUsage(usage: CompletionUsage | null | undefined): Usage {
  const inputTokens = usage?.prompt_tokens ?? 0;
  const outputTokens = usage?.completion_tokens ?? 0;
  const cached = usage?.prompt_tokens_details?.cached_tokens;
  return {
    inputTokens,
    outputTokens,
    ...(typeof cached === 'number' && { cachedInputTokens: cached }),
    totalTokens: usage?.total_tokens ?? inputTokens + outputTokens,
  };
}
