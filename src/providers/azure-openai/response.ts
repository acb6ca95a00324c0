import type { ChatCompletion } from 'openai/resources/chat/completions';
import { fromCompletion, toUsage } from '../openai/response.js';
import type { ProviderResponse } from '../types.js';

/**
 * Maps an Azure `chat.completion`: OpenAI's mapping, except that an answer Azure's output
 * filter stopped (`finish_reason: "content_filter"`) may come without any `message`, which
 * is then an empty `content_filter` answer, not a malformed one. Azure's
 * `prompt_filter_results` and `content_filter_results` are not part of the answer.
 */
export function fromAzureCompletion(completion: ChatCompletion): ProviderResponse {
  const choice = completion.choices?.[0];
  if (choice && !choice.message && choice.finish_reason === 'content_filter') {
    return {
      content: '',
      finishReason: 'content_filter',
      usage: toUsage(completion.usage),
      ...(!completion.usage && { usageReported: false }),
    };
  }
  return fromCompletion(completion);
}
