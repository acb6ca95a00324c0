import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FinishReason } from '../types.js';
import { anthropicWire } from './wire/anthropic.js';
import { mistralWire } from './wire/mistral.js';
import { openaiWire } from './wire/openai.js';
import type { EmulatedProvider, ResolvedAnswer, WireFormat, WireRequest } from './wire.js';

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

/** A scripted answer. Text is split into one token per word; usage defaults to an estimate. */
export interface EmulatedAnswer {
  text?: string;
  toolCalls?: Array<{ id?: string; name: string; arguments: Record<string, unknown> }>;
  finishReason?: FinishReason;
  usage?: { inputTokens?: number; outputTokens?: number; cachedInputTokens?: number };
}

/** A scripted answer, or a function of the request that makes one. */
export type EmulatedAnswerSource = EmulatedAnswer | ((request: EmulatedRequest) => EmulatedAnswer);

/**
 * A fault, consumed by one request:
 * - `{ status, headers?, body? }`: that HTTP status (429 with `retry-after`, 500, 529…);
 *   the body defaults to the provider's error shape.
 * - `{ reset: true }`: the connection is destroyed without an answer.
 * - `{ hangMs }`: nothing is sent for `hangMs`, then the normal answer.
 * - `{ malformed: true }`: a 200 whose body (or first stream event) is not valid JSON.
 * - `{ cutAfter: n }`: a stream sends `n` events, then the connection is destroyed;
 *   a complete answer is cut halfway through its body.
 */
export type EmulatedFault =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { reset: true }
  | { hangMs: number }
  | { malformed: true }
  | { cutAfter: number };

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
}

/** Connection options for each provider, ready for `createRouter({ providers })`. */
// A type alias, not an interface: it must be assignable to RouterConfig's `Record<string, ProviderEntry>`.
export type EmulatorProviders = {
  openai: { apiKey: string; baseURL: string };
  anthropic: { apiKey: string; baseURL: string };
  mistral: { apiKey: string; baseURL: string };
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
   * request, in order; the last one stays in force.
   */
  respond(model: string, ...answers: EmulatedAnswerSource[]): void;
  /** Queues faults for an upstream model (or `'*'`): each is consumed by one request. */
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

const WIRES: readonly WireFormat[] = [openaiWire, anthropicWire, mistralWire];

/**
 * Starts a loopback server that speaks the OpenAI chat completions, Anthropic messages and
 * Mistral chat wire formats, JSON and SSE, with deterministic answers, scripted answers,
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
  let counter = 0;

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

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const [, prefix, ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    const wire = WIRES.find((w) => w.provider === prefix && w.path === path);
    if (req.method !== 'POST' || !wire) {
      sendJson(res, 404, { error: { message: `emulator: no route for ${req.method} ${url.pathname}` } });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      sendJson(res, 400, wire.errorBody(400, 'request body is not valid JSON'));
      return;
    }
    const parsed = wire.read(body);
    if ('invalid' in parsed) {
      sendJson(res, 400, wire.errorBody(400, parsed.invalid));
      return;
    }
    const fault = takeFault(parsed.model);
    const record: EmulatedRequest = {
      provider: wire.provider,
      model: parsed.model,
      stream: parsed.stream,
      body,
      apiKey: readApiKey(req),
      clientClosed: false,
      answered: false,
      ...(fault && { fault }),
    };
    requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.clientClosed = true;
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
    if (fault && 'status' in fault) {
      const message = `emulated ${fault.status} for ${parsed.model}`;
      sendJson(res, fault.status, fault.body ?? wire.errorBody(fault.status, message), fault.headers);
      return;
    }

    const answer = resolveAnswer(parsed, scriptFor(parsed.model, record));
    const id = `emu-${++counter}`;
    if (!parsed.stream) {
      if (perTokenMs > 0) await sleep(perTokenMs * answer.usage.outputTokens, res);
      if (res.destroyed) return;
      if (fault && 'malformed' in fault) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id": "malformed", "choices": [ {');
        return;
      }
      const text = JSON.stringify(wire.json(answer, parsed, id));
      if (fault && 'cutAfter' in fault) {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(text)),
        });
        res.write(text.slice(0, Math.floor(text.length / 2)));
        setImmediate(() => req.socket.destroy());
        return;
      }
      sendJson(res, 200, JSON.parse(text));
      record.answered = true;
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    if (fault && 'malformed' in fault) {
      res.end(wire.malformedEvent ?? 'data: {"malformed": \n\n');
      return;
    }
    const events = wire.sse(answer, parsed, id);
    const cutAfter = fault && 'cutAfter' in fault ? fault.cutAfter : Number.POSITIVE_INFINITY;
    for (let i = 0; i < events.length; i++) {
      if (i >= cutAfter) {
        setImmediate(() => req.socket.destroy());
        return;
      }
      if (res.destroyed) return;
      res.write(events[i]);
      if (perTokenMs > 0 && i < events.length - 1) await sleep(perTokenMs, res);
    }
    if (res.destroyed) return;
    res.end();
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

  return {
    url,
    providers: {
      openai: { apiKey: 'emu-openai-key', baseURL: `${url}/openai/v1` },
      anthropic: { apiKey: 'emu-anthropic-key', baseURL: `${url}/anthropic` },
      mistral: { apiKey: 'emu-mistral-key', baseURL: `${url}/mistral` },
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

function resolveAnswer(request: WireRequest, script: EmulatedAnswer | undefined): ResolvedAnswer {
  const toolCalls = (script?.toolCalls ?? []).map((call, index) => ({
    id: call.id ?? `call_${index + 1}_${call.name}`,
    name: call.name,
    arguments: call.arguments,
  }));
  let text = script?.text ?? (toolCalls.length > 0 ? '' : defaultText(request));
  let chunks = emulatorTokens(text);
  let finishReason: FinishReason = script?.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
  if (request.maxTokens !== undefined && chunks.length > request.maxTokens) {
    chunks = chunks.slice(0, request.maxTokens);
    text = chunks.join('');
    finishReason = 'length';
  }
  const toolTokens = toolCalls.reduce(
    (sum, call) => sum + emulatorTokens(JSON.stringify(call.arguments)).length + 2,
    0,
  );
  return {
    text,
    textChunks: chunks,
    toolCalls,
    finishReason,
    usage: {
      inputTokens:
        script?.usage?.inputTokens ?? emulatorInputTokens(request.promptText, request.messageCount),
      outputTokens: script?.usage?.outputTokens ?? chunks.length + toolTokens,
      cachedInputTokens: script?.usage?.cachedInputTokens ?? 0,
    },
  };
}

function defaultText(request: WireRequest): string {
  const echo = request.lastUserText.replace(/\s+/g, ' ').trim().slice(0, 60);
  if (request.wantsJson) return JSON.stringify({ model: request.model, echo });
  return `Emulated answer from ${request.model} to: ${echo}`;
}

function readApiKey(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
  const key = req.headers['x-api-key'];
  return typeof key === 'string' ? key : undefined;
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

/** A small seeded PRNG (mulberry32): the same seed gives the same faults. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
