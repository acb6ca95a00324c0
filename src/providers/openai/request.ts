import type {
  ChatCompletionContentPart,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import { effortOf } from '../../catalog/reasoning.js';
import type { ContentPart, Message, ResponseFormat, Tool, ToolChoice } from '../../types.js';
import { isStrictSchema } from '../shared.js';
import type { ProviderRequest } from '../types.js';

/** The two dialects of chat completions: OpenAI itself, and servers that copy its API (vLLM, Ollama…). */
export type OpenAIDialect = 'openai' | 'openai-compatible';

/**
 * Maps a provider request to an OpenAI chat completions body (without `stream`).
 *
 * The output cap is sent as `max_completion_tokens` to OpenAI, which deprecated
 * `max_tokens` (and rejects it for reasoning models), and as `max_tokens` to compatible
 * servers, most of which know only that name.
 *
 * - `reasoning` → `reasoning_effort` (`effort`, else the level whose budget holds
 *   `budgetTokens`: OpenAI takes no token budget); to OpenAI, `temperature` is then left
 *   out, as its reasoning models refuse any but the default.
 * - prompt caching → `prompt_cache_key` (OpenAI only: compatible servers may refuse it).
 * - `json_schema` → `response_format` `json_schema` with `strict: true` when the schema
 *   fits the strict subset (`isStrictSchema`), else `strict: false`.
 */
export function toChatParams(
  request: ProviderRequest,
  dialect: OpenAIDialect,
): ChatCompletionCreateParamsNonStreaming {
  const params: ChatCompletionCreateParamsNonStreaming = {
    model: request.model,
    messages: request.messages.map(toMessageParam),
  };
  if (dialect === 'openai') params.max_completion_tokens = request.maxTokens;
  else params.max_tokens = request.maxTokens;
  if (request.reasoning !== undefined) params.reasoning_effort = effortOf(request.reasoning);
  if (request.temperature !== undefined && !(dialect === 'openai' && request.reasoning !== undefined)) {
    params.temperature = request.temperature;
  }
  if (request.promptCache !== undefined && dialect === 'openai') {
    params.prompt_cache_key = request.promptCache.key;
  }
  // tool_choice without tools is a 400 from OpenAI, so it only goes with them.
  if (request.tools && request.tools.length > 0) {
    params.tools = request.tools.map(toTool);
    if (request.toolChoice !== undefined) params.tool_choice = toToolChoice(request.toolChoice);
  }
  const format = toResponseFormat(request.responseFormat);
  if (format) params.response_format = format;
  return params;
}

/**
 * The streaming form of `toChatParams()`. It always asks for usage
 * (`stream_options.include_usage`), so a streamed call can be priced like any other.
 */
export function toStreamParams(
  request: ProviderRequest,
  dialect: OpenAIDialect,
): ChatCompletionCreateParamsStreaming {
  return { ...toChatParams(request, dialect), stream: true, stream_options: { include_usage: true } };
}

function toMessageParam(message: Message): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return {
        role: 'user',
        content: typeof message.content === 'string' ? message.content : message.content.map(toContentPart),
      };
    case 'assistant': {
      const toolCalls = message.toolCalls ?? [];
      if (toolCalls.length === 0) return { role: 'assistant', content: message.content ?? '' };
      return {
        role: 'assistant',
        // The API's own tool-call messages carry `content: null`; '' is refused by some servers.
        content: message.content ? message.content : null,
        tool_calls: toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.arguments) },
        })),
      };
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

function toContentPart(part: ContentPart): ChatCompletionContentPart {
  if (part.type === 'text') return { type: 'text', text: part.text };
  const url = 'url' in part ? part.url : `data:${part.mediaType};base64,${part.data}`;
  return { type: 'image_url', image_url: { url } };
}

function toTool(tool: Tool): ChatCompletionTool {
  return {
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      parameters: tool.parameters,
    },
  };
}

function toToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

function toResponseFormat(
  format: ResponseFormat | undefined,
): ChatCompletionCreateParamsNonStreaming['response_format'] | undefined {
  switch (format?.type) {
    case 'json':
      return { type: 'json_object' };
    case 'json_schema':
      return {
        type: 'json_schema',
        json_schema: {
          name: format.name ?? 'response',
          schema: format.schema,
          strict: isStrictSchema(format.schema),
        },
      };
    default:
      // 'text' is the API's default; sending it would only break servers that lack the field.
      return undefined;
  }
}
