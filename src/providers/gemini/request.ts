import type {
  Content,
  FunctionCallingConfig,
  Tool as GeminiTool,
  GenerateContentConfig,
  GenerateContentParameters,
  Part,
  ThinkingConfig,
} from '@google/genai';
import type {
  ContentPart,
  Message,
  ReasoningOptions,
  ResponseFormat,
  Tool,
  ToolChoice,
} from '../../types.js';
import type { ProviderRequest } from '../types.js';

/**
 * Gemini 3 models reject a replayed `functionCall` part without the `thoughtSignature` they
 * gave it. Google documents this value as the one to send for calls whose signature is not
 * known (a conversation begun on another model, or one older than this process).
 */
export const UNKNOWN_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

/** Looks up the thought signature Gemini gave a tool call, by its id. */
export type SignatureLookup = (toolCallId: string) => string | undefined;

/**
 * Maps a router request to `generateContent` parameters:
 * - system messages → `systemInstruction` (joined with blank lines, in order);
 * - user and assistant messages → `contents` with roles `user` and `model`; consecutive
 *   messages of one role (an assistant's calls answered by several tool messages) become one
 *   content, as Gemini expects parallel calls answered in one turn;
 * - an assistant's tool calls → `functionCall` parts with their id and thought signature,
 *   a tool message → a `functionResponse` part named after the call it answers (Gemini
 *   matches by name, and by id where it issued ids); the result is sent as `{ output }`, or
 *   as the object itself when it is a JSON object;
 * - images: base64 data and `data:` URLs → `inlineData`; other URLs → `fileData` with the
 *   URL as `fileUri` (Gemini fetches it: nothing is downloaded here);
 * - tools → `functionDeclarations` with `parametersJsonSchema` (JSON Schema as it is);
 *   `toolChoice` → `functionCallingConfig` (`required` is `ANY`; a name is `ANY` with that
 *   one function allowed);
 * - `json` → `responseMimeType: 'application/json'`, and `json_schema` adds
 *   `responseJsonSchema`; `maxTokens` → `maxOutputTokens`; `temperature` as it is;
 * - `reasoning` → `thinkingConfig`: `budgetTokens` as `thinkingBudget`, else `effort` as
 *   `thinkingLevel` (Gemini 3's control; the two cannot be sent together); neither leaves
 *   the model's default thinking. Thinking counts against `maxOutputTokens`.
 */
export function toGeminiRequest(
  request: ProviderRequest,
  signatureOf: SignatureLookup = () => undefined,
): GenerateContentParameters {
  const system: string[] = [];
  const contents: Content[] = [];
  const callNames = new Map<string, string>();
  for (const message of request.messages) {
    if (message.role === 'system') {
      system.push(message.content);
      continue;
    }
    const role = message.role === 'assistant' ? 'model' : 'user';
    const parts = toParts(message, callNames, signatureOf);
    if (parts.length === 0) continue;
    const last = contents.at(-1);
    if (last?.role === role) last.parts!.push(...parts);
    else contents.push({ role, parts });
  }
  const config: GenerateContentConfig = { maxOutputTokens: request.maxTokens };
  if (system.length > 0) config.systemInstruction = system.join('\n\n');
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.tools && request.tools.length > 0) config.tools = [toGeminiTools(request.tools)];
  if (request.toolChoice !== undefined) {
    config.toolConfig = { functionCallingConfig: toFunctionCallingConfig(request.toolChoice) };
  }
  if (request.responseFormat) Object.assign(config, toResponseFormat(request.responseFormat));
  const thinking = request.reasoning && toThinkingConfig(request.reasoning);
  if (thinking) config.thinkingConfig = thinking;
  return { model: request.model, contents, config };
}

function toParts(message: Message, callNames: Map<string, string>, signatureOf: SignatureLookup): Part[] {
  switch (message.role) {
    case 'system':
      return [];
    case 'user':
      return typeof message.content === 'string'
        ? [{ text: message.content }]
        : message.content.map(toUserPart);
    case 'assistant': {
      const parts: Part[] = [];
      if (message.content) parts.push({ text: message.content });
      for (const [index, call] of (message.toolCalls ?? []).entries()) {
        callNames.set(call.id, call.name);
        const part: Part = { functionCall: { id: call.id, name: call.name, args: call.arguments } };
        // Only the first call of a turn carries a signature; Gemini checks that one.
        const signature = signatureOf(call.id) ?? (index === 0 ? UNKNOWN_THOUGHT_SIGNATURE : undefined);
        if (signature !== undefined) part.thoughtSignature = signature;
        parts.push(part);
      }
      return parts;
    }
    case 'tool':
      return [
        {
          functionResponse: {
            id: message.toolCallId,
            name: callNames.get(message.toolCallId) ?? message.toolCallId,
            response: toolResult(message.content),
          },
        },
      ];
  }
}

/** A JSON object result is sent as it is; anything else under `output`, as Google's examples do. */
function toolResult(content: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(content);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // plain text
  }
  return { output: content };
}

const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
};

function toUserPart(part: ContentPart): Part {
  if (part.type === 'text') return { text: part.text };
  if ('data' in part) return { inlineData: { mimeType: part.mediaType, data: part.data } };
  const inline = DATA_URL.exec(part.url);
  if (inline) return { inlineData: { mimeType: inline[1]!, data: inline[2]! } };
  const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(part.url)?.[1]?.toLowerCase();
  const mimeType = extension === undefined ? undefined : IMAGE_TYPES[extension];
  return { fileData: { fileUri: part.url, ...(mimeType !== undefined && { mimeType }) } };
}

function toGeminiTools(tools: readonly Tool[]): GeminiTool {
  return {
    functionDeclarations: tools.map((tool) => ({
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      parametersJsonSchema: tool.parameters,
    })),
  };
}

/** `required` is Gemini's `ANY` (some function must be called); a named tool is `ANY` limited to it. */
export function toFunctionCallingConfig(choice: ToolChoice): FunctionCallingConfig {
  if (typeof choice === 'object') {
    return { mode: 'ANY' as FunctionCallingConfig['mode'], allowedFunctionNames: [choice.name] };
  }
  const mode = choice === 'required' ? 'ANY' : choice === 'none' ? 'NONE' : 'AUTO';
  return { mode: mode as FunctionCallingConfig['mode'] };
}

function toThinkingConfig(reasoning: ReasoningOptions): ThinkingConfig | undefined {
  if (reasoning.budgetTokens !== undefined) return { thinkingBudget: reasoning.budgetTokens };
  if (reasoning.effort === undefined) return undefined;
  return { thinkingLevel: reasoning.effort.toUpperCase() as ThinkingConfig['thinkingLevel'] };
}

function toResponseFormat(format: ResponseFormat): GenerateContentConfig {
  switch (format.type) {
    case 'text':
      return {};
    case 'json':
      return { responseMimeType: 'application/json' };
    case 'json_schema':
      return { responseMimeType: 'application/json', responseJsonSchema: format.schema };
  }
}
