import {
  InvalidPromptError,
  type LanguageModelV3CallOptions,
  type LanguageModelV3FilePart,
  type LanguageModelV3Prompt,
  type LanguageModelV3ToolResultOutput,
  type SharedV3Warning,
  UnsupportedFunctionalityError,
} from '@ai-sdk/provider';
import type {
  ChatRequest,
  ContentPart,
  ImagePart,
  Message,
  ResponseFormat,
  Tool,
  ToolCall,
  ToolChoice,
} from '../types.js';

/** The model-facing part of a `ChatRequest`, mapped from the AI SDK's call options. */
export type MappedCall = Pick<
  ChatRequest,
  'messages' | 'maxTokens' | 'temperature' | 'tools' | 'toolChoice' | 'responseFormat' | 'signal'
>;

// Settings of the V3 call options the router has no field for: each one set is a warning.
const UNSUPPORTED_SETTINGS = [
  'topP',
  'topK',
  'presencePenalty',
  'frequencyPenalty',
  'seed',
  'stopSequences',
] as const;

/**
 * Maps the AI SDK's call options to a routeplane request, pushing a warning for each
 * setting the router does not carry. Throws the AI SDK's `UnsupportedFunctionalityError`
 * for input the router cannot represent (a PDF, audio), as the AI SDK's providers do.
 */
export function mapCallOptions(options: LanguageModelV3CallOptions, warnings: SharedV3Warning[]): MappedCall {
  for (const setting of UNSUPPORTED_SETTINGS) {
    if (options[setting] !== undefined)
      warnings.push({
        type: 'unsupported',
        feature: setting,
        details: `routeplane has no ${setting} setting; it was not sent to the model`,
      });
  }
  // The AI SDK always sends its user-agent; only headers the caller set are worth a warning.
  if (
    options.headers !== undefined &&
    Object.entries(options.headers).some(
      ([name, v]) => v !== undefined && name.toLowerCase() !== 'user-agent',
    )
  )
    warnings.push({
      type: 'unsupported',
      feature: 'headers',
      details: 'the router calls providers with its own clients; request headers are not forwarded',
    });

  const call: MappedCall = { messages: mapPrompt(options.prompt, warnings) };
  if (options.maxOutputTokens !== undefined) call.maxTokens = options.maxOutputTokens;
  if (options.temperature !== undefined) call.temperature = options.temperature;
  if (options.abortSignal !== undefined) call.signal = options.abortSignal;

  const tools = mapTools(options.tools, warnings);
  if (tools.length > 0) {
    call.tools = tools;
    const choice = mapToolChoice(options.toolChoice);
    if (choice !== undefined) call.toolChoice = choice;
  } else if (
    options.toolChoice !== undefined &&
    options.toolChoice.type !== 'auto' &&
    options.toolChoice.type !== 'none'
  ) {
    warnings.push({
      type: 'unsupported',
      feature: 'toolChoice',
      details: 'toolChoice without function tools is ignored',
    });
  }
  const format = mapResponseFormat(options.responseFormat);
  if (format !== undefined) call.responseFormat = format;
  return call;
}

function mapTools(tools: LanguageModelV3CallOptions['tools'], warnings: SharedV3Warning[]): Tool[] {
  const mapped: Tool[] = [];
  for (const tool of tools ?? []) {
    if (tool.type !== 'function') {
      warnings.push({
        type: 'unsupported',
        feature: `provider tool ${tool.id}`,
        details: 'routeplane routes across providers and sends function tools only; this tool was left out',
      });
      continue;
    }
    const entry: Tool = { name: tool.name, parameters: tool.inputSchema as Tool['parameters'] };
    if (tool.description !== undefined) entry.description = tool.description;
    mapped.push(entry);
  }
  return mapped;
}

function mapToolChoice(choice: LanguageModelV3CallOptions['toolChoice']): ToolChoice | undefined {
  if (choice === undefined) return undefined;
  return choice.type === 'tool' ? { name: choice.toolName } : choice.type;
}

function mapResponseFormat(format: LanguageModelV3CallOptions['responseFormat']): ResponseFormat | undefined {
  if (format === undefined || format.type === 'text') return undefined;
  if (format.schema === undefined) return { type: 'json' };
  const mapped: ResponseFormat = { type: 'json_schema', schema: format.schema as Record<string, unknown> };
  if (format.name !== undefined) mapped.name = format.name;
  return mapped;
}

/** The AI SDK's prompt as routeplane messages. */
export function mapPrompt(prompt: LanguageModelV3Prompt, warnings: SharedV3Warning[]): Message[] {
  const messages: Message[] = [];
  let droppedReasoning = false;
  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        messages.push({ role: 'system', content: message.content });
        break;
      case 'user': {
        const parts: ContentPart[] = [];
        for (const part of message.content) {
          if (part.type === 'text') parts.push({ type: 'text', text: part.text });
          else parts.push(imagePart(part));
        }
        // Plain text stays a string: every provider takes it, and the cache key stays stable.
        messages.push({
          role: 'user',
          content: parts.every((p) => p.type === 'text')
            ? parts.map((p) => (p as { text: string }).text).join('')
            : parts,
        });
        break;
      }
      case 'assistant': {
        let text = '';
        const toolCalls: ToolCall[] = [];
        for (const part of message.content) {
          if (part.type === 'text') text += part.text;
          else if (part.type === 'tool-call')
            toolCalls.push(toolCallOf(part.toolCallId, part.toolName, part.input, prompt));
          else if (part.type === 'reasoning') droppedReasoning = true;
          else
            throw new UnsupportedFunctionalityError({
              functionality: `assistant ${part.type} parts`,
              message: `routeplane: an assistant message with a ${part.type} part cannot be sent through the router (text and tool calls only)`,
            });
        }
        const assistant: Message = { role: 'assistant', content: text };
        if (toolCalls.length > 0) assistant.toolCalls = toolCalls;
        messages.push(assistant);
        break;
      }
      case 'tool':
        for (const part of message.content) {
          // Approvals are for provider-executed tools, which the router never sends.
          if (part.type !== 'tool-result') continue;
          messages.push({ role: 'tool', toolCallId: part.toolCallId, content: toolOutputText(part.output) });
        }
        break;
    }
  }
  if (droppedReasoning)
    warnings.push({
      type: 'other',
      message:
        'routeplane: reasoning parts of earlier assistant messages were not sent (the router sends text and tool calls)',
    });
  return messages;
}

function toolCallOf(id: string, name: string, input: unknown, prompt: LanguageModelV3Prompt): ToolCall {
  let args = input;
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args);
    } catch {
      // reported below
    }
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    throw new InvalidPromptError({
      prompt,
      message: `routeplane: the input of tool call '${id}' (${name}) must be a JSON object`,
    });
  return { id, name, arguments: args as Record<string, unknown> };
}

function toolOutputText(output: LanguageModelV3ToolResultOutput): string {
  switch (output.type) {
    case 'text':
    case 'error-text':
      return output.value;
    case 'json':
    case 'error-json':
      return JSON.stringify(output.value);
    case 'execution-denied':
      return output.reason ?? 'The tool execution was denied.';
    case 'content': {
      let text = '';
      for (const item of output.value) {
        if (item.type !== 'text')
          throw new UnsupportedFunctionalityError({
            functionality: `tool result ${item.type} content`,
            message: `routeplane: a tool result with ${item.type} content cannot be sent through the router (text only)`,
          });
        text += item.text;
      }
      return text;
    }
  }
}

// The image types every routeplane provider takes, by their first bytes.
const SIGNATURES: readonly [string, number[]][] = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', [0x47, 0x49, 0x46, 0x38]],
  ['image/webp', [0x52, 0x49, 0x46, 0x46]],
];

function imagePart(part: LanguageModelV3FilePart): ImagePart {
  if (!part.mediaType.startsWith('image/'))
    throw new UnsupportedFunctionalityError({
      functionality: `file parts of type ${part.mediaType}`,
      message: `routeplane: a user file of type ${part.mediaType} cannot be sent through the router (images only)`,
    });
  const { data } = part;
  if (data instanceof URL) return { type: 'image', url: data.href };
  const bytes = typeof data === 'string' ? undefined : data;
  const base64 = typeof data === 'string' ? data : Buffer.from(data).toString('base64');
  let mediaType = part.mediaType;
  if (mediaType === 'image/*') {
    const head = bytes ?? Buffer.from(base64.slice(0, 16), 'base64');
    mediaType = SIGNATURES.find(([, sig]) => sig.every((b, i) => head[i] === b))?.[0] ?? mediaType;
    if (mediaType === 'image/*')
      throw new UnsupportedFunctionalityError({
        functionality: 'images of unknown type',
        message:
          'routeplane: the image has no media type and is not PNG, JPEG, GIF or WebP; give its mediaType',
      });
  }
  return { type: 'image', data: base64, mediaType };
}
