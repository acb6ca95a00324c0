// Longer than most files on purpose: the emulator's one HTTP server, its scripts and fault
// injection, and the public types users' tests use; the wire formats live in wire/.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FinishReason } from '../types.js';
import { createIdSource, type IdSource, mulberry32 } from './ids.js';
import { anthropicWire } from './wire/anthropic.js';
import { azureWire } from './wire/azure.js';
import { bedrockWire } from './wire/bedrock.js';
import { embedAnswer, embeddingRoute, readEmbedRequest } from './wire/embeddings.js';
import { geminiWire } from './wire/gemini.js';
import { mistralWire } from './wire/mistral.js';
import { openaiWire } from './wire/openai.js';
import { vertexWire } from './wire/vertex.js';
import type {
  EmulatedProvider,
  ResolvedAnswer,
  SseEvent,
  WireContext,
  WireError,
  WireFormat,
  WireRequest,
  WireRoute,
} from './wire.js';

/** Options of `createEmulator()`. */
export interface EmulatorOptions {
  /** Delay before the first byte of every answer. Default 0. */
  latencyMs?: number;
  /** Delay per output token: between stream chunks, and added to complete answers. Default 0. */
  perTokenMs?: number;
  /** Loopback address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; default a free one. */
  port?: number;
}

/**
 * A scripted answer. Text is split into one token per word; usage defaults to an estimate.
 *
 * Token counts follow the providers' billing: `usage.inputTokens` is all input, cache reads
 * and writes included (at least their sum), and `usage.outputTokens` all output, reasoning
 * included. Each provider reports them in its own way, e.g. Anthropic's `input_tokens`
 * leaves the cache out and OpenAI does not report cache writes.
 *
 * @example
 * ```ts
 * emu.respond('claude-sonnet-4-6', {
 *   text: 'Cached and considered.',
 *   cacheReadTokens: 2048,
 *   cacheWriteTokens: 512,
 *   reasoningTokens: 300,
 * });
 * ```
 */
export interface EmulatedAnswer {
  text?: string;
  /** Tool calls; an `id` left out gets one in the provider's format (`call_…`, `toolu_…`, 9 characters). */
  toolCalls?: Array<{ id?: string; name: string; arguments: Record<string, unknown> }>;
  finishReason?: FinishReason;
  /**
   * Token counts to report. `inputTokens` and `outputTokens` are totals (see above);
   * `cachedInputTokens` is the same as `cacheReadTokens`.
   */
  usage?: { inputTokens?: number; outputTokens?: number; cachedInputTokens?: number };
  /**
   * Input tokens read from the prompt cache: OpenAI `prompt_tokens_details.cached_tokens`,
   * Anthropic `cache_read_input_tokens`, Mistral `prompt_tokens_details.cached_tokens`. Default 0.
   */
  cacheReadTokens?: number;
  /**
   * Input tokens written to the prompt cache: Anthropic `cache_creation_input_tokens` (and
   * `cache_creation`); OpenAI and Mistral do not report writes. Default 0.
   */
  cacheWriteTokens?: number;
  /** The part of `cacheWriteTokens` written with Anthropic's 1-hour lifetime (`ephemeral_1h_input_tokens`). Default 0. */
  cacheWrite1hTokens?: number;
  /**
   * Output tokens spent reasoning, counted in the output tokens as billed: OpenAI
   * `completion_tokens_details.reasoning_tokens`; Anthropic a `thinking` block (streamed as
   * `thinking_delta` and `signature_delta`) and `output_tokens_details.thinking_tokens`;
   * Mistral `thinking` content chunks. Default 0: no reasoning.
   */
  reasoningTokens?: number;
  /**
   * How a Mistral stream sends tool calls: `'whole'` (the default, as Mistral's own models do:
   * every call complete in the last chunk) or `'incremental'` (as the API relays some other
   * models: the id and name first, then the arguments in pieces, in deltas without an id).
   * OpenAI and Anthropic always stream arguments in pieces.
   */
  mistralToolCalls?: 'whole' | 'incremental';
}

/** A scripted answer, or a function of the request that makes one. */
export type EmulatedAnswerSource = EmulatedAnswer | ((request: EmulatedRequest) => EmulatedAnswer);

/**
 * A fault, consumed by one request:
 * - `{ status, headers?, body? }`: that HTTP status (429, 500, 529…), with the provider's
 *   error body and headers for it (rate-limit headers, Anthropic's `retry-after` on 429 and
 *   529); `body` replaces the body, `headers` add to or replace the headers.
 * - `{ reset: true }`: the connection is destroyed without an answer.
 * - `{ hangMs }`: nothing is sent for `hangMs`, then the normal answer.
 * - `{ malformed: true }`: a 200 whose body (or first stream event) is not valid JSON.
 * - `{ cutAfter: n }`: a stream sends `n` events, then the connection is destroyed;
 *   a complete answer is cut halfway through its body.
 * - `{ refusal: text }`: a successful answer in which the model refuses. OpenAI:
 *   `message.refusal` is `text`, `content` is null, `finish_reason` is `'stop'` (streamed as
 *   `delta.refusal` pieces). Anthropic: `stop_reason: 'refusal'`, no content, `text` as
 *   `stop_details.explanation`. Mistral has no refusal field: `text` is the answer's content.
 * - `{ quota: true }`: the provider's billing / quota error. OpenAI: 429 `insufficient_quota`.
 *   Anthropic: 400 `invalid_request_error` "Your credit balance is too low…". Mistral, whose
 *   billing error is not documented: a 429 in its `rate_limited` shape whose message says the
 *   monthly usage limit is reached.
 * - `{ policyFlag: true }`: a prompt flagged by the provider's usage policy. OpenAI: 400
 *   `invalid_prompt`. Anthropic: 400 `invalid_request_error` "Output blocked by content
 *   filtering policy". Mistral has no such rejection: the answer's text declines.
 * - `{ errorEvent, afterParts? }`: a stream fails after `afterParts` content parts (default 0):
 *   Anthropic `event: error` (`overloaded_error` or `api_error`), OpenAI a chunk holding only
 *   `{ error }` then `[DONE]`, Mistral a chunk with `finish_reason: 'error'`. A call that is
 *   not streamed gets the same failure as an HTTP error (Anthropic 529 / 500, OpenAI and
 *   Mistral 503 / 500).
 * - On `bedrock` and `vertex`, each fault takes their form: Bedrock answers with its
 *   `{ "message" }` bodies typed by `x-amzn-errortype` (429 `ThrottlingException`, 503
 *   `ServiceUnavailableException`, 500 `InternalServerException`, 400 `ValidationException`,
 *   403 `AccessDeniedException`, 404 `ResourceNotFoundException`; `quota` is a 400
 *   `ServiceQuotaExceededException`), fails a stream midway with an exception frame
 *   (`serviceUnavailableException` for `overloaded`, `internalServerException`), and sends no
 *   `retry-after` unless the fault's headers add one; Vertex answers 401, 403, 404 and 429
 *   (`quota` too) with Google's `{ "error": { code, message, status } }` and everything else
 *   as Anthropic does.
 * - `{ noUsage: true }`: the answer without its usage: no `usage` in the JSON, no usage chunk
 *   (nor `usage: null`) in an OpenAI stream, no `usage` on Mistral's last chunk or in
 *   Anthropic's `message_start` and `message_delta`. (Anthropic always sends usage and
 *   Mistral always sends it on complete answers: their SDKs may reject or stumble on such an
 *   answer, which is what this fault lets you test.)
 *
 * @example
 * ```ts
 * emu.fail('gpt-6.2-sol', { refusal: "I'm sorry, I can't help with that." });
 * emu.fail('claude-sonnet-4-6', { errorEvent: 'overloaded', afterParts: 2 });
 * ```
 */
export type EmulatedFault =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { reset: true }
  | { hangMs: number }
  | { malformed: true }
  | { cutAfter: number }
  | { refusal: string }
  | { quota: true }
  | { policyFlag: true }
  | { errorEvent: 'overloaded' | 'server_error'; afterParts?: number }
  | { noUsage: true };

/** A request as the emulator received it. */
export interface EmulatedRequest {
  provider: EmulatedProvider;
  model: string;
  stream: boolean;
  /** The parsed JSON body, as sent by the SDK. */
  body: Record<string, unknown>;
  /** The API key the request carried (emulator keys are not secrets). */
  apiKey: string | undefined;
  /** The fault applied to it, if any. */
  fault?: EmulatedFault;
  /** True when the client closed the connection before the answer was complete. */
  clientClosed: boolean;
  /** True once a complete successful answer (200, whole body or whole stream) was sent. */
  answered: boolean;
  /** True for an embeddings request (OpenAI, Azure and Mistral `/embeddings`, Gemini `:batchEmbedContents`). */
  embed?: true;
}

/**
 * Connection options for each provider, ready for `createRouter({ providers })`. The cloud
 * entries whose SDK is an extra install (`gemini`: `@google/genai`; `bedrock`:
 * `@anthropic-ai/bedrock-sdk`; `vertex`: `@anthropic-ai/vertex-sdk`) are present only when
 * that SDK is installed, so `createRouter({ providers: emu.providers })` works with just the
 * SDKs you have.
 */
// A type alias, not an interface: it must be assignable to RouterConfig's `Record<string, ProviderEntry>`.
export type EmulatorProviders = {
  openai: { apiKey: string; baseURL: string };
  anthropic: { apiKey: string; baseURL: string };
  mistral: { apiKey: string; baseURL: string };
  /** Azure OpenAI: the deployment is the catalog model's `model`. */
  azure: { type: 'azure-openai'; endpoint: string; apiKey: string; apiVersion: string };
  /** The Gemini Developer API (`x-goog-api-key`); `baseURL` is the SDK's `httpOptions.baseUrl`. */
  gemini?: { type: 'gemini'; apiKey: string; baseURL: string };
  /** Claude on Bedrock: fake AWS keys (any are accepted; the access key id is logged as `apiKey`). */
  bedrock?: {
    type: 'anthropic-bedrock';
    baseURL: string;
    awsRegion: string;
    awsAccessKey: string;
    awsSecretKey: string;
  };
  /** Claude on Vertex AI: a fake access token (logged as `apiKey`), project and location. */
  vertex?: {
    type: 'anthropic-vertex';
    baseURL: string;
    projectId: string;
    location: string;
    accessToken: string;
  };
};

/** A running emulator. See `createEmulator()`. */
export interface Emulator {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly providers: EmulatorProviders;
  /** Every request received, in arrival order. */
  readonly requests: EmulatedRequest[];
  /**
   * Scripts the answers for an upstream model name (or `'*'` for every model): one per
   * request, in order; the last one stays in force. See `EmulatedAnswer` for text, tool
   * calls, usage, cache reads and writes, and reasoning.
   */
  respond(model: string, ...answers: EmulatedAnswerSource[]): void;
  /**
   * Queues faults for an upstream model (or `'*'`): each is consumed by one request. Besides
   * failures, a fault can shape a successful answer (`refusal`, `noUsage`); see `EmulatedFault`.
   */
  fail(model: string, ...faults: EmulatedFault[]): void;
  /**
   * Fails a share of the requests to `model` (or `'*'`) at random, with a fault drawn from
   * `faults`, until `reset()`. Seeded, so a run can be repeated. Queued `fail()` faults
   * come first.
   */
  failRandomly(model: string, options: { rate: number; faults: EmulatedFault[]; seed?: number }): void;
  /** Requests received for `model` (all when omitted). */
  hits(model?: string): number;
  /** Clears scripts, faults and the request log. */
  reset(): void;
  /** Stops the server and destroys open connections. */
  close(): Promise<void>;
}

const WIRES: readonly WireFormat[] = [
  openaiWire,
  anthropicWire,
  mistralWire,
  azureWire,
  geminiWire,
  bedrockWire,
  vertexWire,
];

/**
 * Starts a loopback server that speaks the OpenAI chat completions, Anthropic messages and
 * Mistral chat wire formats, JSON and SSE, their embeddings APIs (OpenAI, Azure and Mistral
 * `/embeddings`, Gemini `:batchEmbedContents`, with deterministic vectors), and Claude on Bedrock (`/bedrock`, AWS event-stream
 * framing) and Vertex AI (`/vertex/v1`), with deterministic answers, scripted answers,
 * latency, injected faults and a log of what it received. Point a router at it with
 * `createRouter({ providers: emu.providers })`.
 *
 * @example
 * ```ts
 * const emu = await createEmulator();
 * emu.fail('gpt-6.2-sol', { status: 429, headers: { 'retry-after': '1' } });
 * const router = createRouter({ providers: emu.providers, tenants: { acme: {} } });
 * ```
 */
export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const latencyMs = options.latencyMs ?? 0;
  const perTokenMs = options.perTokenMs ?? 0;
  const requests: EmulatedRequest[] = [];
  const scripts = new Map<string, EmulatedAnswerSource[]>();
  const faults = new Map<string, EmulatedFault[]>();
  const sockets = new Set<Socket>();
  // Ids from a seeded generator: a run can be repeated id for id.
  const ids = createIdSource(mulberry32(0x5eed));

  const chaos = new Map<string, { rate: number; faults: EmulatedFault[]; random: () => number }>();

  const takeFault = (model: string): EmulatedFault | undefined => {
    const queued = faults.get(model)?.shift() ?? faults.get('*')?.shift();
    if (queued) return queued;
    const random = chaos.get(model) ?? chaos.get('*');
    if (!random || random.faults.length === 0 || random.random() >= random.rate) return undefined;
    return random.faults[Math.floor(random.random() * random.faults.length)];
  };

  const scriptFor = (model: string, request: EmulatedRequest): EmulatedAnswer | undefined => {
    const queue = scripts.get(model) ?? scripts.get('*');
    if (!queue || queue.length === 0) return undefined;
    const source = queue.length > 1 ? queue.shift()! : queue[0]!;
    return typeof source === 'function' ? source(request) : source;
  };

  /** Logs a request in `requests`; the record learns whether the client closed it early. */
  const logRequest = (
    res: ServerResponse,
    fields: Omit<EmulatedRequest, 'clientClosed' | 'answered'>,
  ): EmulatedRequest => {
    const record: EmulatedRequest = { ...fields, clientClosed: false, answered: false };
    requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.clientClosed = true;
    });
    return record;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const [, prefix, ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    const embedRoute = req.method === 'POST' ? embeddingRoute(prefix ?? '', path) : undefined;
    if (embedRoute) return handleEmbed(req, res, embedRoute.provider, embedRoute.model);
    let route: WireRoute | undefined;
    const wire = WIRES.find((w) => {
      if (w.provider !== prefix) return false;
      if (!w.route) return w.path === path;
      route = w.route(path, url);
      return route !== undefined;
    });
    if (req.method !== 'POST' || !wire) {
      sendJson(res, 404, { error: { message: `emulator: no route for ${req.method} ${url.pathname}` } });
      return;
    }
    const apiKey = readApiKey(req);
    const context: WireContext = { model: '', apiKey, requestId: wire.requestId(ids), ids };
    if (route?.reject) {
      await readBody(req);
      sendError(res, wire, context, route.reject);
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      sendError(res, wire, context, wire.error(400, context, 'request body is not valid JSON'));
      return;
    }
    const parsed = wire.read(body, route);
    if ('invalid' in parsed) {
      sendError(res, wire, context, wire.error(400, context, parsed.invalid));
      return;
    }
    context.model = parsed.model;
    const fault = takeFault(parsed.model);
    const record = logRequest(res, {
      provider: wire.provider,
      model: parsed.model,
      stream: parsed.stream,
      body,
      apiKey,
      ...(fault && { fault }),
    });

    if (fault && 'reset' in fault) {
      req.socket.destroy();
      return;
    }
    if (fault && 'hangMs' in fault) {
      await sleep(fault.hangMs, res);
      if (res.destroyed) return;
    }
    if (latencyMs > 0) {
      await sleep(latencyMs, res);
      if (res.destroyed) return;
    }
    const outcome = outcomeOf(wire, fault, context, parsed.stream);
    if ('error' in outcome) {
      sendError(res, wire, context, outcome.error, parsed);
      return;
    }
    const { override } = outcome;
    const scripted = override.refusal === undefined && override.text === undefined;
    const answer = resolveAnswer(
      wire,
      parsed,
      scripted ? scriptFor(parsed.model, record) : undefined,
      ids,
      override,
      !(fault && 'noUsage' in fault),
    );
    const headers = wire.headers(200, context, parsed);
    if (!parsed.stream) {
      if (perTokenMs > 0) await sleep(perTokenMs * answer.usage.outputTokens, res);
      if (res.destroyed) return;
      if (fault && 'malformed' in fault) {
        res.writeHead(200, { 'content-type': 'application/json', ...headers });
        res.end('{"id": "malformed", "choices": [ {');
        return;
      }
      const text = JSON.stringify(wire.json(answer, parsed, ids));
      if (fault && 'cutAfter' in fault) {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(text)),
          ...headers,
        });
        res.write(text.slice(0, Math.floor(text.length / 2)));
        setImmediate(() => req.socket.destroy());
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(text);
      record.answered = true;
      return;
    }

    res.writeHead(200, {
      'content-type': wire.streamContentType ?? 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
    if (fault && 'malformed' in fault) {
      res.end(wire.malformedEvent ?? 'data: {"malformed": \n\n');
      return;
    }
    const stream = wire.sse(answer, parsed, ids);
    let events = stream.events;
    if (fault && 'errorEvent' in fault) {
      const failed = stream.failure(fault.errorEvent, context).map((data) => ({ data }));
      events = [...events.slice(0, errorPosition(events, fault.afterParts ?? 0)), ...failed];
    }
    const cutAfter = fault && 'cutAfter' in fault ? fault.cutAfter : Number.POSITIVE_INFINITY;
    for (let i = 0; i < events.length; i++) {
      if (i >= cutAfter) {
        setImmediate(() => req.socket.destroy());
        return;
      }
      if (res.destroyed) return;
      res.write(events[i]!.data);
      if (perTokenMs > 0 && i < events.length - 1) await sleep(perTokenMs, res);
    }
    if (res.destroyed) return;
    res.end();
    if (!(fault && 'errorEvent' in fault)) record.answered = true;
  };

  /**
   * An embeddings request: deterministic vectors (see `emulatorVector`), usage as the
   * emulator counts input tokens, and the faults of `fail()` for its model (`status`,
   * `quota`, `reset`, `hangMs`, `malformed`, `noUsage`; the others answer normally), with
   * the provider's error bodies and headers.
   */
  const handleEmbed = async (
    req: IncomingMessage,
    res: ServerResponse,
    provider: EmulatedProvider,
    pathModel: string | undefined,
  ): Promise<void> => {
    const wire = WIRES.find((w) => w.provider === provider)!;
    const apiKey = readApiKey(req);
    const context: WireContext = { model: pathModel ?? '', apiKey, requestId: wire.requestId(ids), ids };
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      sendError(res, wire, context, wire.error(400, context, 'request body is not valid JSON'));
      return;
    }
    const parsed = readEmbedRequest(provider, body, pathModel);
    if ('invalid' in parsed) {
      sendError(res, wire, context, wire.error(400, context, parsed.invalid));
      return;
    }
    context.model = parsed.model;
    const fault = takeFault(parsed.model);
    const record = logRequest(res, {
      provider,
      model: parsed.model,
      stream: false,
      body,
      apiKey,
      embed: true,
      ...(fault && { fault }),
    });
    if (fault && 'reset' in fault) {
      req.socket.destroy();
      return;
    }
    if (fault && 'hangMs' in fault) await sleep(fault.hangMs, res);
    if (latencyMs > 0) await sleep(latencyMs, res);
    if (res.destroyed) return;
    const outcome = outcomeOf(wire, fault, context, false);
    if ('error' in outcome) {
      sendError(res, wire, context, outcome.error);
      return;
    }
    const headers = { 'content-type': 'application/json', ...wire.headers(200, context) };
    if (fault && 'malformed' in fault) {
      res.writeHead(200, headers);
      res.end('{"object": "list", "data": [ {');
      return;
    }
    const tokens = parsed.texts.reduce((sum, text) => sum + emulatorInputTokens(text, 0), 0);
    const answer = embedAnswer(
      provider,
      parsed,
      fault && 'noUsage' in fault ? undefined : tokens,
      context.requestId,
    );
    res.writeHead(200, headers);
    res.end(JSON.stringify(answer));
    record.answered = true;
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `emulator error: ${String(error)}` } });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const cloud = await installedCloudSdks();

  return {
    url,
    providers: {
      openai: { apiKey: 'emu-openai-key', baseURL: `${url}/openai/v1` },
      anthropic: { apiKey: 'emu-anthropic-key', baseURL: `${url}/anthropic` },
      mistral: { apiKey: 'emu-mistral-key', baseURL: `${url}/mistral` },
      azure: {
        type: 'azure-openai',
        endpoint: `${url}/azure`,
        apiKey: 'emu-azure-key',
        apiVersion: '2024-10-21',
      },
      ...(cloud.gemini && { gemini: { type: 'gemini', apiKey: 'emu-gemini-key', baseURL: `${url}/gemini` } }),
      ...(cloud.bedrock && {
        bedrock: {
          type: 'anthropic-bedrock',
          baseURL: `${url}/bedrock`,
          awsRegion: 'eu-central-1',
          awsAccessKey: 'AKIAEMULATOR00000000',
          awsSecretKey: 'emu-aws-secret-access-key',
        },
      }),
      ...(cloud.vertex && {
        vertex: {
          type: 'anthropic-vertex',
          baseURL: `${url}/vertex/v1`,
          projectId: 'emu-project',
          location: 'europe-west1',
          accessToken: 'emu-vertex-access-token',
        },
      }),
    },
    requests,
    respond(model, ...answers) {
      scripts.set(model, answers);
    },
    failRandomly(model, { rate, faults: list, seed = 1 }) {
      chaos.set(model, { rate, faults: list, random: mulberry32(seed) });
    },
    fail(model, ...newFaults) {
      const queue = faults.get(model) ?? [];
      queue.push(...newFaults);
      faults.set(model, queue);
    },
    hits(model) {
      return model === undefined ? requests.length : requests.filter((r) => r.model === model).length;
    },
    reset() {
      scripts.clear();
      faults.clear();
      chaos.clear();
      requests.length = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Splits text into stream chunks, one per word with its trailing space: the emulator's "tokens". */
export function emulatorTokens(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

/** The emulator's input token count: a quarter of the UTF-8 bytes plus 4 per message. */
export function emulatorInputTokens(promptText: string, messageCount: number): number {
  return Math.ceil(Buffer.byteLength(promptText, 'utf8') / 4) + 4 * messageCount;
}

/** What a fault puts in place of the scripted answer. */
interface AnswerOverride {
  /** The answer's text (a policy flag that Mistral answers with a decline). */
  text?: string;
  refusal?: string;
}

/** What a fault makes of the answer: an HTTP error, or what replaces the scripted answer. */
function outcomeOf(
  wire: WireFormat,
  fault: EmulatedFault | undefined,
  context: WireContext,
  stream: boolean,
): { error: WireError } | { override: AnswerOverride } {
  if (!fault) return { override: {} };
  if ('status' in fault) {
    const error = wire.error(fault.status, context);
    return {
      error: {
        status: fault.status,
        body: fault.body !== undefined ? fault.body : error.body,
        headers: { ...error.headers, ...fault.headers },
      },
    };
  }
  if ('quota' in fault) return { error: wire.quotaError(context) };
  if ('policyFlag' in fault) {
    const flagged = wire.policyFlag(context);
    return 'decline' in flagged ? { override: { text: flagged.decline } } : { error: flagged };
  }
  if ('errorEvent' in fault && !stream) return { error: wire.failure(fault.errorEvent, context) };
  if ('refusal' in fault) return { override: { refusal: fault.refusal } };
  return { override: {} };
}

/**
 * Where an `{ errorEvent }` cuts the stream: after its `afterParts`-th content part, or after
 * its last part when it has fewer; with `afterParts` 0 (or no parts at all), before its first
 * part, after the events that open the answer (role chunk, message and block starts).
 */
function errorPosition(events: SseEvent[], afterParts: number): number {
  const first = events.findIndex((event) => event.part);
  let position = first === -1 ? 1 : first;
  let seen = 0;
  for (let i = 0; i < events.length && seen < afterParts; i++) {
    if (!events[i]!.part) continue;
    seen++;
    position = i + 1;
  }
  return position;
}

function resolveAnswer(
  wire: WireFormat,
  request: WireRequest,
  script: EmulatedAnswer | undefined,
  ids: IdSource,
  override: AnswerOverride,
  reportUsage: boolean,
): ResolvedAnswer {
  const refusal = override.refusal;
  const toolCalls =
    refusal === undefined
      ? (script?.toolCalls ?? []).map((call) => ({
          id: call.id ?? wire.toolCallId(ids),
          name: call.name,
          arguments: call.arguments,
        }))
      : [];
  let text =
    refusal !== undefined
      ? ''
      : (override.text ?? script?.text ?? (toolCalls.length > 0 ? '' : defaultText(request)));
  let chunks = emulatorTokens(text);
  let finishReason: FinishReason =
    refusal !== undefined
      ? 'content_filter'
      : (script?.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'));
  if (request.maxTokens !== undefined && chunks.length > request.maxTokens) {
    chunks = chunks.slice(0, request.maxTokens);
    text = chunks.join('');
    finishReason = 'length';
  }
  const toolTokens = toolCalls.reduce(
    (sum, call) => sum + emulatorTokens(JSON.stringify(call.arguments)).length + 2,
    0,
  );
  const visibleTokens =
    chunks.length + toolTokens + (refusal === undefined ? 0 : emulatorTokens(refusal).length);
  const asked = refusal === undefined ? Math.max(0, script?.reasoningTokens ?? 0) : 0;
  const outputTokens = script?.usage?.outputTokens ?? visibleTokens + asked;
  const reasoningTokens = Math.min(asked, outputTokens);
  const cacheReadTokens = script?.cacheReadTokens ?? script?.usage?.cachedInputTokens ?? 0;
  const cacheWriteTokens = script?.cacheWriteTokens ?? script?.cacheWrite1hTokens ?? 0;
  const inputTokens = Math.max(
    script?.usage?.inputTokens ?? emulatorInputTokens(request.promptText, request.messageCount),
    cacheReadTokens + cacheWriteTokens,
  );
  return {
    text,
    textChunks: chunks,
    toolCalls,
    finishReason,
    reasoningChunks: reasoningTokens > 0 ? emulatorTokens(reasoningText(request, reasoningTokens)) : [],
    ...(refusal !== undefined && { refusal }),
    usage: {
      inputTokens,
      outputTokens,
      cacheReadTokens,
      cacheWriteTokens,
      cacheWrite1hTokens: Math.min(script?.cacheWrite1hTokens ?? 0, cacheWriteTokens),
      reasoningTokens,
    },
    reportUsage,
    mistralToolCalls: script?.mistralToolCalls ?? 'whole',
  };
}

/** The visible reasoning: shorter than the tokens billed for it, as with summarized thinking. */
function reasoningText(request: WireRequest, tokens: number): string {
  const echo = request.lastUserText.replace(/\s+/g, ' ').trim().slice(0, 60);
  return `Emulated reasoning (${tokens} tokens) about: ${echo}`;
}

function defaultText(request: WireRequest): string {
  const echo = request.lastUserText.replace(/\s+/g, ' ').trim().slice(0, 60);
  if (request.wantsJson) return JSON.stringify({ model: request.model, echo });
  return `Emulated answer from ${request.model} to: ${echo}`;
}

/**
 * The credential a request carried: a bearer token, `x-api-key` (Anthropic), `api-key`
 * (Azure), `x-goog-api-key` (Gemini), or the access key id of an AWS SigV4 signature
 * (Bedrock; any test credentials are accepted, the signature is not checked).
 */
function readApiKey(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
  if (typeof auth === 'string' && auth.startsWith('AWS4-HMAC-SHA256 ')) {
    return /Credential=([^/,\s]+)/.exec(auth)?.[1];
  }
  for (const header of ['x-api-key', 'api-key', 'x-goog-api-key']) {
    const key = req.headers[header];
    if (typeof key === 'string') return key;
  }
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

/** Sends an error answer with the headers every answer of the provider carries. */
function sendError(
  res: ServerResponse,
  wire: WireFormat,
  context: WireContext,
  error: WireError,
  request?: WireRequest,
): void {
  sendJson(res, error.status, error.body, {
    ...wire.headers(error.status, context, request),
    ...error.headers,
  });
}

/** Waits `ms`, or less if the client goes away first. */
function sleep(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    }
    res.on('close', done);
  });
}

/**
 * Which optional cloud SDKs are installed: their `emu.providers` entries exist only then
 * (a router refuses every call while an entry's SDK is missing). Importing them also warms
 * the module cache the router loads them from.
 */
async function installedCloudSdks(): Promise<{ gemini: boolean; bedrock: boolean; vertex: boolean }> {
  const has = (load: () => Promise<unknown>) =>
    load().then(
      () => true,
      () => false,
    );
  const [gemini, bedrock, vertex] = await Promise.all([
    has(() => import('@google/genai')),
    has(() => import('@anthropic-ai/bedrock-sdk')),
    has(() => import('@anthropic-ai/vertex-sdk')),
  ]);
  return { gemini, bedrock, vertex };
}
