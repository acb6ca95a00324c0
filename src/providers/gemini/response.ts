import { randomBytes } from 'node:crypto';
import type { GenerateContentResponse, GenerateContentResponseUsageMetadata, Part } from '@google/genai';
import type { ProviderError } from '../../errors.js';
import type { FinishReason, ToolCall, Usage } from '../../types.js';
import { classifyFailure, contextFacts, type FailureContext, withCode } from '../classify.js';
import type { ProviderResponse } from '../types.js';

/** Keeps the thought signature Gemini gave a tool call, to send it back with the call. */
export type SignatureStore = (toolCallId: string, signature: string) => void;

/**
 * Normalizes a candidate's finish reason. Gemini ends a turn of tool calls with `STOP`, so a
 * turn that called tools is `tool_calls` whatever it says; the safety and policy stops
 * (`SAFETY`, `RECITATION`, `PROHIBITED_CONTENT`, `BLOCKLIST`, `SPII`, their image
 * variants) are `content_filter`; `MAX_TOKENS` is `length`. Anything else, unknown reasons
 * and `MALFORMED_FUNCTION_CALL` included, is `stop` rather than failing a good answer.
 */
export function fromGeminiFinishReason(reason: string | undefined, calledTools: boolean): FinishReason {
  switch (reason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'PROHIBITED_CONTENT':
    case 'BLOCKLIST':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
      return 'content_filter';
    default:
      return calledTools ? 'tool_calls' : 'stop';
  }
}

/**
 * Normalizes `usageMetadata`. `promptTokenCount` already counts the cached tokens
 * (`cachedContentTokenCount`); tokens of tool-use prompts (search grounding) are input too.
 * Output is `candidatesTokenCount` plus `thoughtsTokenCount`, billed alike, the thoughts
 * also reported as `reasoningTokens`.
 */
export function fromGeminiUsage(usage: GenerateContentResponseUsageMetadata | undefined): Usage {
  const inputTokens = (usage?.promptTokenCount ?? 0) + (usage?.toolUsePromptTokenCount ?? 0);
  const thoughts = usage?.thoughtsTokenCount ?? 0;
  const outputTokens = (usage?.candidatesTokenCount ?? 0) + thoughts;
  const cached = usage?.cachedContentTokenCount ?? 0;
  return {
    inputTokens,
    outputTokens,
    ...(cached > 0 && { cachedInputTokens: cached }),
    ...(thoughts > 0 && { reasoningTokens: thoughts }),
    totalTokens: inputTokens + outputTokens,
  };
}

/** A new tool call id, for calls Gemini sent without one (Gemini 2.x does). */
export function newToolCallId(): string {
  return `call_${randomBytes(12).toString('base64url')}`;
}

/** What the parts of a candidate say: the answer's text (thoughts left out) and its tool calls. */
export function readParts(
  parts: readonly Part[] | undefined,
  keep: SignatureStore,
): { text: string; toolCalls: ToolCall[] } {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const part of parts ?? []) {
    if (part.functionCall) {
      const id = part.functionCall.id || newToolCallId();
      if (part.thoughtSignature) keep(id, part.thoughtSignature);
      toolCalls.push({ id, name: part.functionCall.name ?? '', arguments: part.functionCall.args ?? {} });
    } else if (typeof part.text === 'string' && part.thought !== true) {
      text += part.text;
    }
  }
  return { text, toolCalls };
}

/**
 * The failure a prompt blocked by Gemini's safety or policy filters stands for: Gemini
 * answers 200 with `promptFeedback.blockReason` and no candidate. It is `content_filter`,
 * final, as a prompt flagged by any provider's usage policy is.
 */
export function blockedPrompt(
  response: GenerateContentResponse,
  model: string,
  context: FailureContext,
): ProviderError | undefined {
  const reason = response.promptFeedback?.blockReason;
  if (!reason || (response.candidates?.length ?? 0) > 0) return undefined;
  const said = response.promptFeedback?.blockReasonMessage;
  const failure = classifyFailure({
    ...contextFacts(context),
    model,
    status: 400,
    providerCode: reason,
    message: `the prompt was blocked by Gemini's safety filters (${reason})${said ? `: ${said}` : ''}`,
  });
  return withCode(failure, 'content_filter');
}

/**
 * Maps a `generateContent` answer. `content` is always a string (`''` when the model only
 * called tools); thought parts are not part of it. Throws a classified failure for a
 * blocked prompt (`content_filter`) and for an answer with no candidate (`server_error`).
 */
export function fromGeminiResponse(
  response: GenerateContentResponse,
  model: string,
  context: FailureContext,
  keep: SignatureStore,
): ProviderResponse {
  const blocked = blockedPrompt(response, model, context);
  if (blocked) throw blocked;
  const candidate = response.candidates?.[0];
  if (!candidate) {
    throw classifyFailure({
      ...contextFacts(context),
      model,
      message: 'malformed response: no candidates',
      malformed: true,
    });
  }
  const { text, toolCalls } = readParts(candidate.content?.parts, keep);
  return {
    content: text,
    ...(toolCalls.length > 0 && { toolCalls }),
    finishReason: fromGeminiFinishReason(candidate.finishReason, toolCalls.length > 0),
    usage: fromGeminiUsage(response.usageMetadata),
    ...(!response.usageMetadata && { usageReported: false }),
  };
}
