import {
  type ChatResult,
  createRouter,
  type Router,
  type RouterConfig,
  type RouterError,
  type StreamPart,
} from 'routeplane';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import type { ProviderAdapter, ProviderStreamPart } from '../../src/providers/types.js';
import { drain, useRouters } from '../support/harness.js';
import { createReplayServer, type ReplayServer } from '../support/replay-server.js';

export { rejection, textOf } from '../support/harness.js';

/** One catalog model per provider of the corpus. */
export const MODEL = {
  openai: 'gpt-6.2-sol',
  anthropic: 'claude-sonnet-5-5',
  mistral: 'mistral-large-latest',
} as const;

export const hello = [{ role: 'user' as const, content: 'Hello there' }];

/** A replay server for one test file, and routers over it that are closed after each test. */
export interface ReplayHarness {
  readonly server: ReplayServer;
  /**
   * A router over the replay server whose tenant `t` is pinned to `chain[0]`, with the rest
   * of `chain` as its fallbacks. Retries are the default count (2) with millisecond backoff.
   */
  router(chain: string[], extra?: Partial<RouterConfig>): Router;
}

/** Starts one replay server for the file and resets it between tests. */
export function useReplay(): ReplayHarness {
  let server: ReplayServer | undefined;
  beforeAll(async () => {
    server = await createReplayServer();
  });
  beforeEach(() => server?.reset());
  const routers = useRouters();
  afterAll(() => server?.close());
  return {
    get server() {
      if (!server) throw new Error('the replay server is not started yet');
      return server;
    },
    router(chain, extra = {}) {
      const [model, ...fallbacks] = chain;
      const router = createRouter({
        providers: this.server.providers,
        tenants: { t: { model: model!, fallbacks } },
        retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
        ...extra,
      });
      routers.push(router);
      return router;
    },
  };
}

/** The ProviderError behind a `providers_exhausted`. */
export function cause(error: RouterError): ProviderError {
  const inner = (error as { cause?: unknown }).cause;
  if (!ProviderError.isInstance(inner)) throw new Error(`no ProviderError cause: ${String(inner)}`);
  return inner;
}

/** Reads a router stream to its end: its parts, and its result or error. */
export async function streamed(
  router: Router,
  request: Parameters<Router['stream']>[0],
): Promise<{ parts: StreamPart[]; result?: ChatResult; error?: unknown }> {
  const stream = router.stream(request);
  const parts: StreamPart[] = [];
  try {
    for await (const part of stream) parts.push(part);
    return { parts, result: await stream.result };
  } catch (error) {
    await stream.result.catch(() => {});
    return { parts, error };
  }
}

/** Reads an adapter's stream to its end: its parts, and what it threw. */
export async function adapterStream(
  adapter: ProviderAdapter,
  model: string,
): Promise<{ parts: ProviderStreamPart[]; error?: unknown }> {
  return drain(adapter.stream({ model, messages: hello, maxTokens: 256 }));
}
