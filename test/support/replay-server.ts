import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The providers of the wire corpus, each under its own path prefix on the server. */
export type ReplayProvider = 'openai' | 'anthropic' | 'mistral' | 'azure' | 'gemini';

/** A recorded answer, as stored in `test/fixtures/wire` (see SOURCES.md there). */
export interface Fixture {
  status: number;
  headers: Record<string, string>;
  /** The exact bytes sent. */
  body: Buffer;
  /** Destroy the connection after the body instead of ending the response. */
  cut: boolean;
}

const FIXTURES = fileURLToPath(new URL('../fixtures/wire/', import.meta.url));

/**
 * Loads `test/fixtures/wire/<provider>/<name>`: a `.json` (`{ status, headers, body }`) or a
 * `.sse` (raw stream bytes, with an optional `<name>.json` sidecar).
 */
export function loadFixture(provider: ReplayProvider, name: string): Fixture {
  const base = `${FIXTURES}${provider}/${name}`;
  if (!name.endsWith('.sse') && !name.endsWith('.json'))
    throw new Error(`fixture '${name}' is neither .json nor .sse`);
  if (name.endsWith('.sse')) {
    const body = readFileSync(base);
    let sidecar: { status?: number; headers?: Record<string, string>; cut?: boolean } = {};
    try {
      sidecar = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
    } catch {
      // no sidecar: a plain 200 stream
    }
    return {
      status: sidecar.status ?? 200,
      headers: sidecar.headers ?? { 'content-type': 'text/event-stream; charset=utf-8' },
      body,
      cut: sidecar.cut === true,
    };
  }
  const recorded = JSON.parse(readFileSync(base, 'utf8')) as {
    status: number;
    headers: Record<string, string>;
    body: unknown;
  };
  const headers = { ...recorded.headers };
  // The recorded length belongs to the recorded bytes; Node sets the right one.
  delete headers['content-length'];
  return { status: recorded.status, headers, body: Buffer.from(JSON.stringify(recorded.body)), cut: false };
}

/** One request the server received. */
export interface ReplayedRequest {
  provider: ReplayProvider;
  path: string;
  body: Record<string, unknown>;
  /** The fixture it was answered with. */
  fixture: string;
}

/** A loopback server that answers each provider's requests with recorded fixtures, in order. */
export interface ReplayServer {
  /** Options for `createRouter({ providers })` and the adapter factories, per provider. */
  readonly providers: Record<Exclude<ReplayProvider, 'azure'>, { apiKey: string; baseURL: string }>;
  /** An `azure-openai` entry over the server (not in `providers`: its name is not a type). */
  readonly azure: { type: 'azure-openai'; endpoint: string; apiKey: string; apiVersion: string };
  /** Answers the next requests to `provider` with these fixtures in order; the last one repeats. */
  script(provider: ReplayProvider, ...fixtures: string[]): void;
  /** Every request received since the last `reset()`. */
  readonly requests: ReplayedRequest[];
  /** How many requests `provider` received. */
  hits(provider: ReplayProvider): number;
  /** Forgets scripts and requests. */
  reset(): void;
  close(): Promise<void>;
}

const PROVIDERS: readonly ReplayProvider[] = ['openai', 'anthropic', 'mistral', 'azure', 'gemini'];

/**
 * Starts the replay server on 127.0.0.1 (a free port). It speaks no protocol of its own: it
 * sends the recorded status, headers and body bytes, so what the SDKs parse is what the
 * providers sent. A request to a provider with no script is a test error, answered 599.
 */
export async function createReplayServer(): Promise<ReplayServer> {
  const scripts = new Map<ReplayProvider, string[]>();
  const requests: ReplayedRequest[] = [];

  const server: Server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => {
      // A broken fixture or script fails the test loudly instead of hanging it.
      if (!res.headersSent) res.writeHead(599, { 'content-type': 'text/plain' });
      res.end(`replay server error: ${String(error)}`);
    });
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? '';
    const provider = PROVIDERS.find((p) => path.startsWith(`/${p}/`));
    const script = provider ? scripts.get(provider) : undefined;
    if (!provider || !script || script.length === 0) {
      res.writeHead(599, { 'content-type': 'text/plain' }).end(`no fixture scripted for ${path}`);
      return;
    }
    const name = script.length > 1 ? script.shift()! : script[0]!;
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      // keep {}: the test asserts on what it needs
    }
    requests.push({ provider, path, body, fixture: name });
    const fixture = loadFixture(provider, name);
    res.writeHead(fixture.status, fixture.headers);
    if (!fixture.cut) {
      res.end(fixture.body);
      return;
    }
    // Send the bytes, then drop the connection without ending the chunked body.
    res.write(fixture.body, () => setImmediate(() => req.socket.destroy()));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    providers: {
      openai: { apiKey: 'sk-replay-openai', baseURL: `${origin}/openai/v1` },
      anthropic: { apiKey: 'sk-ant-replay', baseURL: `${origin}/anthropic` },
      mistral: { apiKey: 'replay-mistral', baseURL: `${origin}/mistral` },
      gemini: { apiKey: 'replay-gemini', baseURL: `${origin}/gemini` },
    },
    azure: {
      type: 'azure-openai',
      endpoint: `${origin}/azure`,
      apiKey: 'replay-azure-key',
      apiVersion: '2024-10-21',
    },
    script(provider, ...fixtures) {
      scripts.set(provider, [...fixtures]);
    },
    requests,
    hits: (provider) => requests.filter((r) => r.provider === provider).length,
    reset() {
      scripts.clear();
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
