import {
  InvalidArgumentError,
  type LanguageModelV3,
  type LanguageModelV3CallOptions,
  type LanguageModelV3Content,
  type LanguageModelV3GenerateResult,
  type LanguageModelV3StreamPart,
  type LanguageModelV3StreamResult,
  type SharedV3Warning,
} from '@ai-sdk/provider';
import { RouterError } from '../errors.js';
import type { Router } from '../router.js';
import type { ChatRequest, StreamPart } from '../types.js';
import { toApiCallError } from './errors.js';
import { type AiSdkModelOptions, type AiSdkRoutingOptions, parseCallOptions } from './options.js';
import { mapCallOptions } from './prompt.js';
import { finishReasonOf, metadataOf, UNKNOWN_USAGE, usageOf } from './result.js';

const COMPLETE_URL = 'routeplane://router/complete';
const STREAM_URL = 'routeplane://router/stream';

/** The routing fields of a `ChatRequest`, from the model's options and a call's. */
type Routing = Pick<
  ChatRequest,
  'user' | 'role' | 'tags' | 'strategy' | 'forceModel' | 'maxCost' | 'vars' | 'timeoutMs'
> & {
  tenant?: string;
};

function routingOf(options: AiSdkRoutingOptions): Routing {
  const routing: Routing = {};
  if (options.tenant !== undefined) routing.tenant = options.tenant;
  if (options.user !== undefined) routing.user = options.user;
  if (options.role !== undefined) routing.role = options.role;
  if (options.tags !== undefined) routing.tags = { ...options.tags };
  if (options.strategy !== undefined) routing.strategy = options.strategy;
  const forced = options.forceModel ?? options.model;
  if (forced !== undefined) routing.forceModel = forced;
  if (options.maxCost !== undefined) routing.maxCost = options.maxCost;
  if (options.vars !== undefined) routing.vars = { ...options.vars };
  if (options.timeoutMs !== undefined) routing.timeoutMs = options.timeoutMs;
  return routing;
}

/** A V3 language model whose every call goes through a routeplane router. */
export class RouteplaneLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3';
  readonly provider = 'routeplane';
  readonly modelId: string;
  // Images by https URL go to the router as URLs (every adapter takes them); the AI SDK
  // downloads anything else and sends the bytes.
  readonly supportedUrls: Record<string, RegExp[]> = { 'image/*': [/^https:\/\/.+$/] };

  private readonly router: Router;
  private readonly base: Routing;

  constructor(router: Router, options: AiSdkModelOptions) {
    this.router = router;
    this.base = routingOf(options);
    this.modelId = this.base.forceModel ?? 'routeplane';
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const warnings: SharedV3Warning[] = [];
    const request = this.request(options, warnings);
    const timestamp = new Date();
    let result: Awaited<ReturnType<Router['complete']>>;
    try {
      result = await this.router.complete(request);
    } catch (error) {
      throw failure(error, request, options.abortSignal, COMPLETE_URL);
    }
    const content: LanguageModelV3Content[] = [];
    if (result.text !== '') content.push({ type: 'text', text: result.text });
    for (const call of result.message.toolCalls ?? []) {
      content.push({
        type: 'tool-call',
        toolCallId: call.id,
        toolName: call.name,
        input: JSON.stringify(call.arguments),
      });
    }
    return {
      content,
      finishReason: finishReasonOf(result.finishReason),
      usage: usageOf(result.usage, result.usageEstimated),
      providerMetadata: metadataOf(result),
      response: { id: result.id, modelId: result.model, timestamp },
      warnings,
    };
  }

  /**
   * Resolves once the router has the first part of the answer, so that a call that fails
   * before it (a policy, a budget, every provider) rejects here, as an HTTP provider's
   * does; a failure after it is an `error` part followed by a `finish` part whose finish
   * reason is `error`.
   */
  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const warnings: SharedV3Warning[] = [];
    const request = this.request(options, warnings);
    const timestamp = new Date();
    const chat = this.router.stream(request);
    const parts = chat[Symbol.asyncIterator]();
    const signal = options.abortSignal;
    let first: IteratorResult<StreamPart>;
    try {
      first = await parts.next();
      if (!first.done && first.value.type === 'error') throw first.value.error;
    } catch (error) {
      throw failure(error, request, signal, STREAM_URL);
    }

    const raw = options.includeRawChunks === true;
    let pending: IteratorResult<StreamPart> | undefined = first;
    let textId: string | undefined;
    let blocks = 0;
    let started = false;

    return {
      stream: new ReadableStream<LanguageModelV3StreamPart>({
        async pull(controller) {
          if (!started) {
            started = true;
            controller.enqueue({ type: 'stream-start', warnings });
            controller.enqueue({ type: 'response-metadata', id: chat.id, timestamp });
          }
          let next: IteratorResult<StreamPart>;
          try {
            next = pending ?? (await parts.next());
            pending = undefined;
            if (!next.done && next.value.type === 'error') throw next.value.error;
          } catch (error) {
            const mapped = failure(error, request, signal, STREAM_URL);
            if (signal?.aborted && mapped === signal.reason) {
              controller.error(mapped);
              return;
            }
            if (textId !== undefined) controller.enqueue({ type: 'text-end', id: textId });
            controller.enqueue({ type: 'error', error: mapped });
            controller.enqueue({
              type: 'finish',
              finishReason: { unified: 'error', raw: undefined },
              usage: UNKNOWN_USAGE,
            });
            controller.close();
            return;
          }
          if (next.done) {
            if (textId !== undefined) controller.enqueue({ type: 'text-end', id: textId });
            const result = await chat.result;
            controller.enqueue({
              type: 'response-metadata',
              id: result.id,
              modelId: result.model,
              timestamp,
            });
            controller.enqueue({
              type: 'finish',
              finishReason: finishReasonOf(result.finishReason),
              usage: usageOf(result.usage, result.usageEstimated),
              providerMetadata: metadataOf(result),
            });
            controller.close();
            return;
          }
          const part = next.value;
          if (raw) controller.enqueue({ type: 'raw', rawValue: part });
          switch (part.type) {
            case 'text':
              if (textId === undefined) {
                textId = `text-${blocks++}`;
                controller.enqueue({ type: 'text-start', id: textId });
              }
              controller.enqueue({ type: 'text-delta', id: textId, delta: part.text });
              break;
            case 'tool-call': {
              if (textId !== undefined) {
                controller.enqueue({ type: 'text-end', id: textId });
                textId = undefined;
              }
              // The router hands tool calls over whole (it assembles the providers' pieces),
              // so the input arrives in one delta.
              const { id, name } = part.toolCall;
              const input = JSON.stringify(part.toolCall.arguments);
              controller.enqueue({ type: 'tool-input-start', id, toolName: name });
              controller.enqueue({ type: 'tool-input-delta', id, delta: input });
              controller.enqueue({ type: 'tool-input-end', id });
              controller.enqueue({ type: 'tool-call', toolCallId: id, toolName: name, input });
              break;
            }
            // The finish part's usage is in `chat.result`, with the cost and the route.
            case 'finish':
              break;
          }
        },
        async cancel() {
          // Stops the router's call, and the provider request under it.
          await parts.return?.();
        },
      }),
    };
  }

  /** The router request of one call: the model's routing, the call's on top, and the prompt. */
  private request(options: LanguageModelV3CallOptions, warnings: SharedV3Warning[]): ChatRequest {
    const call = parseCallOptions(options.providerOptions?.routeplane);
    const routing: Routing = call === undefined ? { ...this.base } : { ...this.base, ...routingOf(call) };
    if (call?.tags !== undefined && this.base.tags !== undefined)
      routing.tags = { ...this.base.tags, ...call.tags };
    if (call?.vars !== undefined && this.base.vars !== undefined)
      routing.vars = { ...this.base.vars, ...call.vars };
    const { tenant } = routing;
    if (tenant === undefined)
      throw new InvalidArgumentError({
        argument: 'providerOptions.routeplane.tenant',
        message:
          'routeplane: no tenant for this call: give one to aiSdkModel(router, { tenant }) or per call in providerOptions.routeplane.tenant',
      });
    return { ...routing, tenant, ...mapCallOptions(options, warnings) };
  }
}

/**
 * What a call rejects with: the caller's own abort as the signal's reason (as `fetch`
 * rejects), a `RouterError` as an `APICallError`.
 */
function failure(
  error: unknown,
  request: ChatRequest,
  signal: AbortSignal | undefined,
  url: string,
): unknown {
  if (signal?.aborted && RouterError.isInstance(error) && error.code === 'aborted') return signal.reason;
  return toApiCallError(error, request, url);
}
