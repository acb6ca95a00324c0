import type { Message, Tool, Usage } from '../types.js';
import type { ResolvedModel } from './types.js';

/** A tenant's prompt caching (`TenantPolicy.promptCaching`). */
export type PromptCaching = 'off' | '5m' | '1h';

/** Tokens counted per message for role markers and separators, above its content. */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Tokens counted per image: above what the providers charge for a 1.15-megapixel image. */
export const IMAGE_TOKENS = 2_000;
const REQUEST_OVERHEAD_TOKENS = 8;

/**
 * UTF-8 length, as the text goes on the wire (a lone surrogate as U+FFFD, 3 bytes), without
 * allocating: Node's native count, faster than a JavaScript loop from 16 characters up (10×
 * at 1,000); the estimator runs on every call.
 */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * An upper bound of a request's input tokens. No tokenizer the providers use puts more
 * than one token on a UTF-8 byte, so counting bytes never under-counts text; each message
 * adds `MESSAGE_OVERHEAD_TOKENS`, each image `IMAGE_TOKENS`, and tools their JSON. The bound
 * is loose (English prose runs about 4 bytes a token) on purpose: budgets reserve it, so a
 * burst of concurrent calls cannot overspend. See README "Estimation" for measured ratios.
 */
export function estimateInputTokens(messages: readonly Message[], tools?: readonly Tool[]): number {
  let tokens = REQUEST_OVERHEAD_TOKENS;
  for (const message of messages) {
    tokens += MESSAGE_OVERHEAD_TOKENS;
    switch (message.role) {
      case 'user':
        if (typeof message.content === 'string') tokens += utf8Bytes(message.content);
        else
          for (const part of message.content)
            tokens += part.type === 'text' ? utf8Bytes(part.text) : IMAGE_TOKENS;
        break;
      case 'assistant':
        if (message.content) tokens += utf8Bytes(message.content);
        for (const call of message.toolCalls ?? [])
          tokens += utf8Bytes(call.name) + utf8Bytes(JSON.stringify(call.arguments));
        break;
      default:
        tokens += utf8Bytes(message.content);
    }
  }
  if (tools) for (const tool of tools) tokens += utf8Bytes(JSON.stringify(tool)) + MESSAGE_OVERHEAD_TOKENS;
  return tokens;
}

/** The request has at least one image part. */
export function hasImages(messages: readonly Message[]): boolean {
  return messages.some(
    (m) => m.role === 'user' && typeof m.content !== 'string' && m.content.some((p) => p.type === 'image'),
  );
}

/** Pico-USD (prices are integers of it per token) per nano-USD. */
const PICO_PER_NANO = 1_000;

/**
 * The most a call can cost, in nano-USD, rounded up: every input token at the input price,
 * every allowed output token (thinking included: it counts against the output cap). Cache
 * writes cost more than input and happen only on request: with the tenant's
 * `promptCaching` on (Anthropic `cache_control` breakpoints), every input token is priced
 * at the dearer of the input and the cache-write price of that lifetime. Cache reads cost
 * less and are not counted on.
 */
export function estimateCostNano(
  model: ResolvedModel,
  inputTokens: number,
  maxOutputTokens: number,
  promptCaching?: PromptCaching,
): number {
  const { prices } = model;
  return Math.ceil(
    (inputTokens * inputPrice(model, promptCaching) + maxOutputTokens * prices.output) / PICO_PER_NANO,
  );
}

/** `estimateCostNano` in USD: exact to the nano-dollar. */
export function estimateCostUsd(
  model: ResolvedModel,
  inputTokens: number,
  maxOutputTokens: number,
  promptCaching?: PromptCaching,
): number {
  return estimateCostNano(model, inputTokens, maxOutputTokens, promptCaching) / 1e9;
}

/** The most an input token can cost with this prompt caching: a cache write costs more than input. */
function inputPrice(model: ResolvedModel, promptCaching: PromptCaching | undefined): number {
  const { prices } = model;
  if (promptCaching === undefined || promptCaching === 'off') return prices.input;
  return Math.max(prices.input, promptCaching === '1h' ? prices.cacheWrite1h : prices.cacheWrite);
}

/**
 * What a call cost, in nano-USD, from the usage the provider reported: cache reads and
 * writes (5-minute and 1-hour) at their own prices, the rest of the input at the input
 * price, output (reasoning included) at the output price. Integer arithmetic, rounded once.
 */
export function actualCostNano(model: ResolvedModel, usage: Usage): number {
  const { prices } = model;
  const total = usage.inputTokens;
  const cached = clamp(usage.cachedInputTokens, total);
  const written = clamp(usage.cacheWriteInputTokens, total - cached);
  const written1h = clamp(usage.cacheWrite1hInputTokens, written);
  const pico =
    (total - cached - written) * prices.input +
    cached * prices.cachedInput +
    (written - written1h) * prices.cacheWrite +
    written1h * prices.cacheWrite1h +
    usage.outputTokens * prices.output;
  return Math.round(pico / PICO_PER_NANO);
}

/** `actualCostNano` in USD: exact to the nano-dollar, with no float noise. */
export function actualCostUsd(model: ResolvedModel, usage: Usage): number {
  return actualCostNano(model, usage) / 1e9;
}

/** The upper bound of the input a cancelled attempt cost: the provider has read (and maybe cached) the prompt. */
export function cancelledCostNano(
  model: ResolvedModel,
  inputTokens: number,
  promptCaching?: PromptCaching,
): number {
  return Math.ceil((inputTokens * inputPrice(model, promptCaching)) / PICO_PER_NANO);
}

function clamp(tokens: number | undefined, max: number): number {
  return Math.max(0, Math.min(tokens ?? 0, max));
}
