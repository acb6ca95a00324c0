import type Anthropic from '@anthropic-ai/sdk';
import type { ContentPart, Message, ResponseFormat, ToolCall, ToolChoice } from '../../types.js';
import { isStrictSchema } from '../shared.js';
import type { ProviderRequest } from '../types.js';
import { supportsStructuredOutput, thinkingParams } from './features.js';

type Block = Anthropic.ContentBlockParam;
type MessageParam = Anthropic.UserMessageParam | Anthropic.AssistantMessageParam;

/**
 * Maps a provider request to the body of `POST /v1/messages` (without `stream`).
 *
 * - System messages are lifted into `system`, joined with a blank line, and a JSON response
 *   format is appended to it as an instruction.
 * - `max_tokens` is always sent: the API requires it, and the router reserved budget for it.
 * - Tool results become `tool_result` blocks of a user message, and consecutive messages of
 *   one role are merged, because the API requires user and assistant turns to alternate.
 * - `tool_choice` is sent only with tools, as the API rejects it alone.
 * - `temperature` is not sent: the API version of SDK 1.x rejects every sampling parameter.
 * - `reasoning` → `thinking` (and `output_config.effort` on adaptive models): see
 *   `thinkingParams`.
 * - `json_schema` → `output_config.format` on Claude 4.5 and later when the schema fits the
 *   strict subset (`isStrictSchema`); otherwise the schema goes in the system prompt.
 * - prompt caching → `cache_control` breakpoints on the system prompt, the last tool and the
 *   last turn before the final one (3 of the API's 4), with `ttl: '1h'` for the 1-hour cache.
 */
export function toMessageParams(request: ProviderRequest): Anthropic.MessageCreateParamsNonStreaming {
  const messages = toMessages(request.messages);
  const params: Anthropic.MessageCreateParamsNonStreaming = {
    model: request.model,
    max_tokens: request.maxTokens,
    messages,
  };
  const format = request.responseFormat;
  const native =
    format?.type === 'json_schema' &&
    supportsStructuredOutput(request.model) &&
    isStrictSchema(format.schema);
  const system = systemPrompt(request.messages, native ? undefined : format);
  const cache = request.promptCache && cacheControl(request.promptCache.ttl);
  if (system !== '') params.system = cache ? [{ type: 'text', text: system, cache_control: cache }] : system;
  // No `temperature`: API version 2026-10-21, which @anthropic-ai/sdk 1.x sends, rejects
  // temperature, top_p and top_k with a 400 even at their defaults, and the SDK dropped them.
  if (request.tools && request.tools.length > 0) {
    params.tools = request.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      input_schema: tool.parameters as Anthropic.Tool.InputSchema,
    }));
    if (cache) params.tools.at(-1)!.cache_control = cache;
    if (request.toolChoice !== undefined) params.tool_choice = toToolChoice(request.toolChoice);
  }
  // The turn before the final one ends the prefix the next call of the conversation repeats.
  if (cache && messages.length >= 2) markLastBlock(messages[messages.length - 2]!, cache);
  const thinking = thinkingParams(request.model, request.reasoning, request.maxTokens, request.toolChoice);
  if (thinking) params.thinking = thinking.thinking;
  if (thinking?.effort !== undefined || native) {
    params.output_config = {
      ...(thinking?.effort !== undefined && { effort: thinking.effort }),
      ...(native && { format: { type: 'json_schema', schema: format.schema } }),
    };
  }
  return params;
}

function cacheControl(ttl: '5m' | '1h'): Anthropic.CacheControlEphemeral {
  return ttl === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' };
}

/** Puts a cache breakpoint on the last block of a turn (a plain string becomes one text block). */
function markLastBlock(turn: MessageParam, cache: Anthropic.CacheControlEphemeral): void {
  const blocks = asBlocks(turn.content);
  const last = blocks.at(-1);
  if (last === undefined) return;
  blocks[blocks.length - 1] = { ...last, cache_control: cache } as Block;
  turn.content = blocks;
}

/** The system messages in order, joined by a blank line, plus the JSON instruction if any. */
export function systemPrompt(messages: readonly Message[], format: ResponseFormat | undefined): string {
  const parts: string[] = [];
  for (const message of messages) {
    if (message.role === 'system' && message.content !== '') parts.push(message.content);
  }
  const instruction = jsonInstruction(format);
  if (instruction !== undefined) parts.push(instruction);
  return parts.join('\n\n');
}

// The Messages API has no JSON mode that every Claude model accepts (structured outputs via
// `output_config.format` exist from Claude 4.5 on, for schemas of the strict subset), so
// plain JSON, and a schema that cannot go native, is asked for in the system prompt, which
// every model follows. `outputSchema` guardrails check the result either way.
function jsonInstruction(format: ResponseFormat | undefined): string | undefined {
  if (format?.type === 'json') {
    return 'Respond with a single JSON object and nothing else: no prose, no Markdown code fences.';
  }
  if (format?.type === 'json_schema') {
    const name = format.name ? ` "${format.name}"` : '';
    return (
      `Respond with a single JSON object and nothing else (no prose, no Markdown code fences), ` +
      `matching the JSON Schema${name}:\n${JSON.stringify(format.schema)}`
    );
  }
  return undefined;
}

/** Maps the conversation (without system messages) to alternating user/assistant turns. */
export function toMessages(messages: readonly Message[]): MessageParam[] {
  const out: MessageParam[] = [];
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        break;
      case 'user':
        append(out, 'user', userBlocks(message.content));
        break;
      case 'assistant':
        append(out, 'assistant', assistantBlocks(message.content, message.toolCalls));
        break;
      case 'tool':
        append(out, 'user', [
          { type: 'tool_result', tool_use_id: message.toolCallId, content: message.content },
        ]);
        break;
    }
  }
  return out;
}

/** Adds blocks as a new turn, or to the last turn when it has the same role. */
function append(out: MessageParam[], role: 'user' | 'assistant', blocks: Block[]): void {
  if (blocks.length === 0) return;
  const last = out.at(-1);
  if (last?.role === role) {
    last.content = [...asBlocks(last.content), ...blocks];
    return;
  }
  // A lone text block is sent as a plain string, the form the API documents first.
  const only = blocks.length === 1 ? blocks[0] : undefined;
  out.push({ role, content: only?.type === 'text' ? only.text : blocks });
}

function asBlocks(content: MessageParam['content']): Block[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

function userBlocks(content: string | ContentPart[]): Block[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: Block[] = [];
  for (const part of content) {
    if (part.type === 'text') {
      if (part.text !== '') blocks.push({ type: 'text', text: part.text });
    } else {
      blocks.push(imageBlock(part));
    }
  }
  return blocks;
}

type MediaType = Anthropic.Base64ImageSource['media_type'];
const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

/** URL images by reference; `data:` URLs and raw data as base64, which the URL source refuses. */
function imageBlock(part: Exclude<ContentPart, { type: 'text' }>): Anthropic.ImageBlockParam {
  if ('data' in part) {
    return {
      type: 'image',
      source: { type: 'base64', media_type: part.mediaType as MediaType, data: part.data },
    };
  }
  const inline = DATA_URL.exec(part.url);
  if (inline) {
    return {
      type: 'image',
      source: { type: 'base64', media_type: inline[1] as MediaType, data: inline[2]! },
    };
  }
  return { type: 'image', source: { type: 'url', url: part.url } };
}

function assistantBlocks(content: string | undefined, toolCalls: readonly ToolCall[] | undefined): Block[] {
  // The API rejects empty text blocks; a tool-call-only answer carries content ''.
  const blocks: Block[] = content ? [{ type: 'text', text: content }] : [];
  for (const call of toolCalls ?? []) {
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments });
  }
  return blocks;
}

function toToolChoice(choice: ToolChoice): Anthropic.ToolChoice {
  if (typeof choice === 'object') return { type: 'tool', name: choice.name };
  if (choice === 'required') return { type: 'any' };
  return { type: choice };
}
