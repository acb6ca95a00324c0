import { LRUCache } from 'lru-cache';
import type { Credential } from './types.js';

/**
 * SDK clients per credential. The entry's own client (built from its options or given
 * ready) serves calls without a credential; a tenant credential gets a client of its own,
 * built once and kept in an LRU. A credential whose key changed under the same id gets a
 * new client.
 */
export class ClientCache<C> {
  private readonly byCredential: LRUCache<string, { apiKey: string; client: C }>;
  private defaultClient: Promise<C> | undefined;

  constructor(
    private readonly build: (apiKey: string | undefined) => Promise<C>,
    private readonly given: C | undefined,
    private readonly defaultKey: string | undefined,
    max = 256,
  ) {
    this.byCredential = new LRUCache({ max });
    if (given === undefined) {
      // Load the SDK now, in the background, so the first call does not pay for the import
      // (over a second for some SDKs). A failure (package not installed) stays in the
      // promise: the router reads it through `ready()` and fails calls with it.
      this.defaultClient = build(defaultKey);
      this.defaultClient.catch(() => {});
    }
  }

  /** Resolves when the entry's own client is built (its SDK loaded); rejects with why it cannot be. */
  ready(): Promise<void> {
    if (this.given !== undefined) return Promise.resolve();
    this.defaultClient ??= this.build(this.defaultKey);
    return this.defaultClient.then(() => undefined);
  }

  get(credential: Credential | undefined): C | Promise<C> {
    if (!credential) {
      if (this.given !== undefined) return this.given;
      this.defaultClient ??= this.build(this.defaultKey);
      return this.defaultClient;
    }
    const hit = this.byCredential.get(credential.id);
    if (hit && hit.apiKey === credential.apiKey) return hit.client;
    return this.build(credential.apiKey).then((client) => {
      this.byCredential.set(credential.id, { apiKey: credential.apiKey, client });
      return client;
    });
  }

  /** Keys this cache knows, for removal from error messages. */
  *secrets(): Iterable<string> {
    if (this.defaultKey) yield this.defaultKey;
    for (const entry of this.byCredential.values()) yield entry.apiKey;
  }
}

/**
 * Parses a tool call's arguments as the providers send them (a JSON string, or an object).
 * Arguments that are not a JSON object, which models do produce, are kept as `{ _raw }`
 * so nothing the model said is lost.
 */
export function parseToolArguments(raw: unknown): Record<string, unknown> {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) return raw as Record<string, unknown>;
  if (typeof raw !== 'string' || raw.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // fall through: keep what the model sent
  }
  return { _raw: raw };
}

/** Loads an optional peer SDK, with an error that says which package to install. */
export async function loadPeer<T>(specifier: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(`the '${specifier}' package is not installed: npm install ${specifier}`);
    }
    throw error;
  }
}
