import type { Router } from '../router.js';
import type {
  ChatRequest,
  ChatResult,
  ContentPart,
  Message,
  ResponseFormat,
  StreamPart,
  Tool,
  ToolCall,
  ToolChoice,
  Usage,
} from '../types.js';
import { errorResponse, HttpError, httpErrorOf } from './errors.js';
import type { ChatBody } from './wire.js';

/** Who the call is for, as the host resolved it. */
export interface CallerFields {
  tenant: string;
  role?: string;
  user?: string;
  tags?: Record<string, string>;
}

/** Maps an OpenAI chat body to a routeplane `ChatRequest` (`model: 'auto'` lets the tenant's strategy decide). */
export function chatRequestOf(body: ChatBody, caller: CallerFields, signal: AbortSignal): ChatRequest {
  const request: ChatRequest = { tenant: caller.tenant, messages: body.messages.map(messageOf), signal };
  if (body.model !== 'auto') request.forceModel = body.model;
  const user = caller.user ?? body.user ?? undefined;
  if (user !== undefined) request.user = user;
  if (caller.role !== undefined) request.role = caller.role;
  if (caller.tags !== undefined) request.tags = caller.tags;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) request.maxTokens = maxTokens;
  if (body.temperature != null) request.temperature = body.temperature;
  if (body.tools != null && body.tools.length > 0) request.tools = body.tools.map(toolOf);
  if (body.tool_choice != null) request.toolChoice = toolChoiceOf(body.tool_choice);
  if (body.response_format != null) request.responseFormat = responseFormatOf(body.response_format);
  return request;
}

function textOf(content: string | { text: string }[]): string {
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

function messageOf(message: ChatBody['messages'][number], index: number): Message {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: textOf(message.content) };
    case 'user':
      return {
        role: 'user',
        content:
          typeof message.content === 'string'
            ? message.content
            : message.content.map(
                (part): ContentPart =>
                  part.type === 'text' ? part : { type: 'image', url: part.image_url.url },
              ),
      };
    case 'assistant': {
      const out: Message = { role: 'assistant' };
      if (message.content != null) out.content = textOf(message.content);
      if (message.tool_calls != null && message.tool_calls.length > 0)
        out.toolCalls = message.tool_calls.map((call, j) => ({
          id: call.id,
          name: call.function.name,
          arguments: argumentsOf(
            call.function.arguments,
            `messages[${index}].tool_calls[${j}].function.arguments`,
          ),
        }));
      if (out.content === undefined && out.toolCalls === undefined) out.content = '';
      return out;
    }
    case 'tool':
      return { role: 'tool', toolCallId: message.tool_call_id, content: textOf(message.content) };
  }
}

function argumentsOf(json: string, param: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = json.trim() === '' ? {} : JSON.parse(json);
  } catch {
    throw new HttpError(400, `${param} is not valid JSON`, 'invalid_request', param);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HttpError(400, `${param} must be a JSON object`, 'invalid_request', param);
  return value as Record<string, unknown>;
}

function toolOf(tool: NonNullable<ChatBody['tools']>[number]): Tool {
  const out: Tool = {
    name: tool.function.name,
    parameters: tool.function.parameters ?? { type: 'object', properties: {} },
  };
  if (tool.function.description != null) out.description = tool.function.description;
  return out;
}

function toolChoiceOf(choice: NonNullable<ChatBody['tool_choice']>): ToolChoice {
  return typeof choice === 'string' ? choice : { name: choice.function.name };
}

function responseFormatOf(format: NonNullable<ChatBody['response_format']>): ResponseFormat {
  if (format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') return { type: 'json' };
  return {
    type: 'json_schema',
    name: format.json_schema.name,
    schema: format.json_schema.schema ?? { type: 'object' },
  };
}

/** OpenAI's usage object from routeplane's. */
function usageOf(usage: Usage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

function toolCallsOf(calls: ToolCall[]) {
  return calls.map((call) => ({
    id: call.id,
    type: 'function' as const,
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  }));
}

/** The routeplane headers of an answer: never a key, only what served it and what it cost. */
export function resultHeaders(result: {
  id: string;
  model: string;
  deployment: string;
  costUsd: number;
  cached: boolean;
}): Record<string, string> {
  return {
    'x-routeplane-request-id': result.id,
    'x-routeplane-model': result.model,
    'x-routeplane-deployment': result.deployment,
    'x-routeplane-cost-usd': String(result.costUsd),
    'x-routeplane-cached': String(result.cached),
  };
}

const seconds = () => Math.floor(Date.now() / 1000);

/** Serves a chat completion as one JSON `chat.completion`. */
export async function completeJson(router: Router, request: ChatRequest): Promise<Response> {
  const result: ChatResult = await router.complete(request);
  const calls = result.message.toolCalls;
  const body = {
    id: `chatcmpl-${result.id}`,
    object: 'chat.completion',
    created: seconds(),
    model: result.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // OpenAI sends null content beside tool calls or a refusal; routeplane's '' means the same.
          content:
            result.text === '' && (calls !== undefined || result.refusal !== undefined) ? null : result.text,
          refusal: result.refusal ?? null,
          ...(calls !== undefined && calls.length > 0 && { tool_calls: toolCallsOf(calls) }),
        },
        finish_reason: result.finishReason,
        logprobs: null,
      },
    ],
    usage: usageOf(result.usage),
  };
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json', ...resultHeaders(result) },
  });
}

const encoder = new TextEncoder();
const sse = (data: unknown) => encoder.encode(`data: ${JSON.stringify(data)}\n\n`);

/**
 * Serves a chat completion as OpenAI's SSE stream. The response waits for the first part:
 * an error before the first token (a denial, a rate limit, every provider failing) is an
 * error response with its status, as OpenAI answers, not a 200 stream with an error in it.
 * Every chunk carries the catalog id of the model serving the stream (`ChatStream.served`,
 * known from the first part on), as OpenAI's chunks name their model. An error after the
 * first token is a chunk holding only `{ error }` (what OpenAI's SDKs throw on). A client
 * that goes away cancels the body, which aborts the router call.
 */
export async function completeStream(
  router: Router,
  request: ChatRequest,
  requested: string,
  includeUsage: boolean,
): Promise<Response> {
  const stream = router.stream(request);
  const parts = stream[Symbol.asyncIterator]();
  const first = await parts
    .next()
    .catch((error: unknown) => ({ done: false as const, value: errorPart(error) }));
  if (!first.done && first.value.type === 'error') {
    await parts.return?.();
    return errorResponse(httpErrorOf(first.value.error));
  }
  const id = `chatcmpl-${stream.id}`;
  // Known once the first part has arrived, which it has.
  const served = stream.served?.model ?? requested;
  const created = seconds();
  const chunk = (model: string, delta: object, finishReason: string | null = null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
  });
  let toolIndex = 0;
  let finish: Extract<StreamPart, { type: 'finish' }> | undefined;
  const write = (controller: ReadableStreamDefaultController<Uint8Array>, part: StreamPart): boolean => {
    switch (part.type) {
      case 'text':
        controller.enqueue(sse(chunk(served, { content: part.text })));
        return true;
      case 'tool-call':
        controller.enqueue(
          sse(chunk(served, { tool_calls: [{ index: toolIndex++, ...toolCallsOf([part.toolCall])[0] }] })),
        );
        return true;
      case 'finish':
        finish = part;
        return true;
      case 'error':
        controller.enqueue(sse(errorBody(part.error)));
        return false;
    }
  };
  let pending: IteratorResult<StreamPart> | undefined = first;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(sse(chunk(served, { role: 'assistant', content: '' })));
    },
    async pull(controller) {
      try {
        // A pull must enqueue or close: a finish part alone enqueues nothing, so read on.
        for (;;) {
          const next = pending ?? (await parts.next());
          pending = undefined;
          if (next.done) break;
          if (next.value.type === 'finish') {
            write(controller, next.value);
            continue;
          }
          if (!write(controller, next.value)) controller.close();
          return;
        }
        const result = await stream.result;
        if (finish?.refusal !== undefined)
          controller.enqueue(sse(chunk(result.model, { refusal: finish.refusal })));
        controller.enqueue(sse(chunk(result.model, {}, result.finishReason)));
        if (includeUsage)
          controller.enqueue(
            sse({
              id,
              object: 'chat.completion.chunk',
              created,
              model: result.model,
              choices: [],
              usage: usageOf(result.usage),
            }),
          );
        controller.enqueue(encoder.encode('data: [DONE]\n\n'));
        controller.close();
      } catch (error) {
        controller.enqueue(sse(errorBody(error)));
        controller.close();
      }
    },
    async cancel() {
      await parts.return?.();
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-routeplane-request-id': stream.id,
      ...(stream.served && {
        'x-routeplane-model': stream.served.model,
        'x-routeplane-deployment': stream.served.deployment,
      }),
    },
  });
}

function errorPart(error: unknown): StreamPart {
  return { type: 'error', error: error instanceof Error ? error : new Error(String(error)) };
}

function errorBody(error: unknown) {
  const failure = httpErrorOf(error);
  return {
    error: { message: failure.message, type: 'server_error', param: failure.param, code: failure.code },
  };
}
