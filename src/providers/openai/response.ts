import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { FinishReason, ToolCall, Usage } from '../../types.js';
import { parseToolArguments } from '../shared.js';
import type { ProviderResponse } from '../types.js';
import { MalformedResponseError } from './errors.js';

/**
 * Maps a `chat.completion` to a provider response: `content` is always a string (`''`
 * when the model only called tools), tool arguments are parsed, and the finish reason
 * and usage are normalized. A `message.refusal` (which OpenAI sends with
 * `finish_reason: "stop"`) makes the finish reason `content_filter`, with the refusal
 * text in `refusal`. Throws `MalformedResponseError` when there is no choice.
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
  const refusal = message.refusal ? message.refusal : undefined;
  return {
    content: message.content ?? '',
    ...(toolCalls.length > 0 && { toolCalls }),
    finishReason: refusal === undefined ? toFinishReason(choice.finish_reason) : 'content_filter',
    usage: toUsage(completion.usage),
    ...(refusal !== undefined && { refusal }),
    ...(!completion.usage && { usageReported: false }),
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
 * Normalizes OpenAI's usage. `prompt_tokens` already counts the cached tokens and
 * `completion_tokens` the reasoning tokens, so both are taken as they are.
 * `cachedInputTokens` is set only when the provider reported
 * `prompt_tokens_details.cached_tokens`; `reasoningTokens` when
 * `completion_tokens_details.reasoning_tokens` is above zero. Missing usage (some compatible
 * servers) is zero here; the caller marks it `usageReported: false`.
 */
export function toUsage(usage: CompletionUsage | null | undefined): Usage {
  const inputTokens = usage?.prompt_tokens ?? 0;
  const outputTokens = usage?.completion_tokens ?? 0;
  const cached = usage?.prompt_tokens_details?.cached_tokens;
  const reasoning = usage?.completion_tokens_details?.reasoning_tokens;
  return {
    inputTokens,
    outputTokens,
    ...(typeof cached === 'number' && { cachedInputTokens: cached }),
    ...(typeof reasoning === 'number' && reasoning > 0 && { reasoningTokens: reasoning }),
    totalTokens: usage?.total_tokens ?? inputTokens + outputTokens,
  };
}
