import type {
  ChatCompletionRequest,
  ChatCompletionResponse,
  ContentChunk,
  AssistantMessage as MistralAssistantMessage,
  ResponseFormat as MistralResponseFormat,
  Tool as MistralTool,
  ToolCall as MistralToolCall,
  ToolChoice as MistralToolChoice,
  ToolChoiceEnum,
  UsageInfo,
} from '@mistralai/mistralai/models/components';
import type {
  AssistantMessage,
  ContentPart,
  FinishReason,
  Message,
  ResponseFormat,
  Tool,
  ToolCall,
  ToolChoice,
  Usage,
} from '../../types.js';
import { isStrictSchema, parseToolArguments } from '../shared.js';
import type { ProviderRequest, ProviderResponse } from '../types.js';

type MistralMessage = ChatCompletionRequest['messages'][number];
type MistralUserContent = Extract<MistralMessage, { role: 'user' }>['content'];

/**
 * Maps a router request to the SDK's camelCase chat request (the SDK turns it into the
 * snake_case wire body). `maxTokens` is always sent: the router reserved budget for it.
 * `reasoning` is `reasoningEffort: 'high'` whatever its level: Mistral's reasoning models
 * (Medium 3.5, Small 4) take only `high` or `none`, and no token budget; Magistral models
 * always reason. Mistral caches prompts on its own: prompt caching sends nothing.
 */
export function toMistralRequest(request: ProviderRequest): ChatCompletionRequest {
  return {
    model: request.model,
    messages: toMistralMessages(request.messages),
    maxTokens: request.maxTokens,
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.tools && request.tools.length > 0 && { tools: request.tools.map(toMistralTool) }),
    ...(request.toolChoice !== undefined && { toolChoice: toMistralToolChoice(request.toolChoice) }),
    ...(request.responseFormat !== undefined && {
      responseFormat: toMistralResponseFormat(request.responseFormat),
    }),
    ...(request.reasoning !== undefined && { reasoningEffort: 'high' }),
  };
}

/**
 * Maps messages one to one. A tool result also gets the `name` of the function it answers,
 * found in the assistant message that made the call, because Mistral's own examples send
 * it and older models rely on it.
 */
export function toMistralMessages(messages: readonly Message[]): MistralMessage[] {
  const toolNames = new Map<string, string>();
  return messages.map((message) => toMistralMessage(message, toolNames));
}

/** Maps one message; `toolNames` collects call ids → function names as assistants make calls. */
function toMistralMessage(message: Message, toolNames: Map<string, string>): MistralMessage {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return { role: 'user', content: toMistralUserContent(message.content) };
    case 'assistant':
      for (const call of message.toolCalls ?? []) toolNames.set(call.id, call.name);
      return toMistralAssistant(message);
    case 'tool': {
      const name = toolNames.get(message.toolCallId);
      return {
        role: 'tool',
        toolCallId: message.toolCallId,
        content: message.content,
        ...(name !== undefined && { name }),
      };
    }
  }
}

function toMistralUserContent(content: string | ContentPart[]): MistralUserContent {
  if (typeof content === 'string') return content;
  return content.map((part): ContentChunk => {
    if (part.type === 'text') return { type: 'text', text: part.text };
    const url = 'url' in part ? part.url : `data:${part.mediaType};base64,${part.data}`;
    return { type: 'image_url', imageUrl: url };
  });
}

// Mistral has rejected an assistant message with an empty `content` next to `tool_calls`,
// so empty content is left out when there are tool calls.
function toMistralAssistant(message: AssistantMessage): MistralMessage {
  const toolCalls = message.toolCalls ?? [];
  if (toolCalls.length === 0) return { role: 'assistant', content: message.content ?? '' };
  const out: MistralAssistantMessage & { role: 'assistant' } = {
    role: 'assistant',
    toolCalls: toolCalls.map(
      (call): MistralToolCall => ({
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: JSON.stringify(call.arguments) },
      }),
    ),
  };
  if (message.content) out.content = message.content;
  return out;
}

function toMistralTool(tool: Tool): MistralTool & { type: 'function' } {
  return {
    type: 'function',
    function: {
      name: tool.name,
      parameters: tool.parameters,
      ...(tool.description !== undefined && { description: tool.description }),
    },
  };
}

/** `'required'` is Mistral's `'any'`: the model must call some tool. */
export function toMistralToolChoice(choice: ToolChoice): MistralToolChoice | ToolChoiceEnum {
  if (typeof choice === 'object') return { type: 'function', function: { name: choice.name } };
  return choice === 'required' ? 'any' : choice;
}

/**
 * `json` is Mistral's JSON mode; `json_schema` is its native structured output, `strict`
 * when the schema fits the strict subset (`isStrictSchema`).
 */
export function toMistralResponseFormat(format: ResponseFormat): MistralResponseFormat {
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json':
      return { type: 'json_object' };
    case 'json_schema':
      return {
        type: 'json_schema',
        jsonSchema: {
          name: format.name ?? 'response',
          schemaDefinition: format.schema,
          strict: isStrictSchema(format.schema),
        },
      };
  }
}

/** Why Mistral stopped, or `'error'` when it says the generation failed (the caller throws). */
export type MistralFinish = FinishReason | 'error';

/**
 * Maps Mistral's finish reason. `model_length` (the model's own context ran out) is a
 * `length` stop like `length`; `error` means the generation failed mid-way. Reasons this
 * version does not know are taken for a normal stop rather than failing a good answer.
 */
export function fromMistralFinishReason(reason: string): MistralFinish {
  switch (reason) {
    case 'length':
    case 'model_length':
      return 'length';
    case 'tool_calls':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    case 'error':
      return 'error';
    default:
      return 'stop';
  }
}

/**
 * Joins the text of a message's content, which Mistral sends as a string or as chunks
 * (text, and `thinking` for reasoning models, which is not part of the answer).
 */
export function contentText(content: string | ContentChunk[] | null | undefined): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  let text = '';
  for (const chunk of content) {
    if (chunk.type === 'text' && 'text' in chunk && typeof chunk.text === 'string') text += chunk.text;
  }
  return text;
}

/**
 * Maps tool calls; arguments arrive as a JSON string or, from some models, an object. A
 * missing id (which the SDK turns into the string `'null'`) becomes `call_<position>`.
 */
export function fromMistralToolCalls(calls: readonly MistralToolCall[]): ToolCall[] {
  return calls.map((call, index) => ({
    id: call.id && call.id !== 'null' ? call.id : `call_${index}`,
    name: call.function.name,
    arguments: parseToolArguments(call.function.arguments),
  }));
}

/** Maps usage; the prompt cache's share, when Mistral reports it, becomes `cachedInputTokens`. */
export function fromMistralUsage(usage: UsageInfo | undefined): Usage {
  const inputTokens = usage?.promptTokens ?? 0;
  const outputTokens = usage?.completionTokens ?? 0;
  const cached = cachedTokens(usage);
  return {
    inputTokens,
    outputTokens,
    totalTokens: usage?.totalTokens || inputTokens + outputTokens,
    ...(cached > 0 && { cachedInputTokens: cached }),
  };
}

// The SDK keeps fields it has no name for under their wire (snake_case) keys.
function cachedTokens(usage: UsageInfo | undefined): number {
  const details = usage?.prompt_tokens_details;
  if (typeof details !== 'object' || details === null) return 0;
  const cached = (details as { cached_tokens?: unknown }).cached_tokens;
  return typeof cached === 'number' ? cached : 0;
}

/** A complete response, or why it cannot be one: no choice, or a generation that failed. */
export type MappedResponse = ProviderResponse | { failure: 'no_choice' | 'finish_error' };

/**
 * Maps a chat completion. `content` is always a string (`''` when the answer is only tool
 * calls). Returns a `failure` instead of throwing, so the adapter classifies it.
 */
export function fromMistralResponse(response: ChatCompletionResponse): MappedResponse {
  const choice = response.choices[0];
  if (!choice) return { failure: 'no_choice' };
  const finishReason = fromMistralFinishReason(choice.finishReason);
  if (finishReason === 'error') return { failure: 'finish_error' };
  const toolCalls = fromMistralToolCalls(choice.message?.toolCalls ?? []);
  // Typed as always there; compatible models behind Mistral's API may still leave it out.
  const usage = response.usage as UsageInfo | undefined;
  return {
    content: contentText(choice.message?.content),
    ...(toolCalls.length > 0 && { toolCalls }),
    finishReason,
    usage: fromMistralUsage(usage),
    ...(!usage && { usageReported: false }),
  };
}
