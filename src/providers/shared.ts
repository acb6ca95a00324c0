import { LRUCache } from 'lru-cache';
import type { ToolCall } from '../types.js';
import type { Credential } from './types.js';

/**
 * SDK clients per credential. The entry's own client (built from its options or given
 * ready) serves calls without a credential; a tenant credential gets a client of its own,
 * built once and kept in an LRU. A credential whose key (or AWS secret, or session token)
 * changed under the same id gets a new client.
 */
export class ClientCache<C> {
  private readonly byCredential: LRUCache<string, { secrets: string[]; client: C }>;
  private defaultClient: Promise<C> | undefined;
  /** The default client once built (or the given one): what calls without a credential use, without a promise. */
  built: C | undefined;

  constructor(
    private readonly build: (apiKey: string | undefined, credential?: Credential) => Promise<C>,
    private readonly given: C | undefined,
    private readonly defaultKey: string | undefined,
    max = 256,
  ) {
    this.byCredential = new LRUCache({ max });
    this.built = given;
    if (given === undefined) {
      // Load the SDK now, in the background, so the first call does not pay for the import
      // (over a second for some SDKs). A failure (package not installed) stays in the
      // promise: the router reads it through `ready()` and fails calls with it.
      this.defaultClient = build(defaultKey);
      this.defaultClient.then(
        (client) => {
          this.built = client;
        },
        () => {},
      );
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
    const secrets = credentialSecrets(credential);
    if (hit && sameSecrets(hit.secrets, secrets)) return hit.client;
    return this.build(credential.apiKey, credential).then((client) => {
      this.byCredential.set(credential.id, { secrets, client });
      return client;
    });
  }

  /** Keys this cache knows, for removal from error messages. */
  *secrets(): Iterable<string> {
    if (this.defaultKey) yield this.defaultKey;
    for (const entry of this.byCredential.values()) yield* entry.secrets;
  }
}

/** Every secret a credential holds: its key, and an AWS secret key and session token. */
export function credentialSecrets(credential: Credential): string[] {
  const secrets = [credential.apiKey];
  if (credential.awsSecretKey !== undefined) secrets.push(credential.awsSecretKey);
  if (credential.awsSessionToken !== undefined) secrets.push(credential.awsSessionToken);
  return secrets;
}

function sameSecrets(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((secret, i) => secret === b[i]);
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

/** One piece of a streamed tool call, as the OpenAI-style wires send it. */
export interface ToolCallDelta {
  /** The call's position; some compatible servers leave it out. */
  index?: number | null;
  /** Sent with the first piece only. The Mistral SDK fills a missing id with the string 'null'. */
  id?: string | null;
  /** Sent with the first piece only (later pieces may carry `''`). */
  name?: string | null;
  /** A piece of the JSON arguments, or (some Mistral models) the whole arguments object. */
  arguments?: unknown;
}

/**
 * Assembles streamed tool calls from their pieces. A call arrives as its id and name first,
 * then argument pieces without an id (OpenAI; Mistral and compatible servers the same way,
 * or each call whole in one piece). Pieces are joined by `index`; a piece without an index
 * continues the last call unless it brings a new id; an id of `'null'` is no id. Two calls
 * whole in one delta that share an index (the Mistral SDK defaults a missing index to 0) are
 * told apart by their different ids.
 */
export class ToolCallAssembler {
  private readonly calls: { id: string; name: string; arguments: string }[] = [];
  private readonly byIndex = new Map<number, number>();

  /** True while calls are waiting to be completed. */
  get pending(): boolean {
    return this.calls.length > 0;
  }

  add(delta: ToolCallDelta): void {
    const id = delta.id && delta.id !== 'null' ? delta.id : undefined;
    const hasIndex = typeof delta.index === 'number';
    const slot = hasIndex ? this.byIndex.get(delta.index as number) : id ? undefined : this.calls.length - 1;
    let call = slot === undefined ? undefined : this.calls[slot];
    // The same index with another id is another call (whole calls sent side by side).
    if (call && id && call.id !== '' && call.id !== id) call = undefined;
    if (!call) {
      call = { id: '', name: '', arguments: '' };
      this.calls.push(call);
      if (hasIndex) this.byIndex.set(delta.index as number, this.calls.length - 1);
    }
    if (id) call.id = id;
    if (delta.name) call.name = delta.name;
    if (typeof delta.arguments === 'string') call.arguments += delta.arguments;
    else if (delta.arguments !== null && typeof delta.arguments === 'object') {
      call.arguments += JSON.stringify(delta.arguments);
    }
  }

  /** The calls assembled so far, in order, with their arguments parsed; then starts over. */
  complete(): ToolCall[] {
    const done = this.calls.map((call, position) => ({
      id: call.id === '' ? `call_${position}` : call.id,
      name: call.name,
      arguments: parseToolArguments(call.arguments),
    }));
    this.calls.length = 0;
    this.byIndex.clear();
    return done;
  }
}

/**
 * Whether a JSON Schema fits the strict structured-output subset (OpenAI `strict: true`,
 * Anthropic `output_config.format`): an object at the root, and every object in it, down
 * through `properties`, `items`, `anyOf` and `$defs` / `definitions`, with
 * `additionalProperties: false` and every property `required`. A schema that does not fit
 * is sent as it is without strict mode (never rewritten behind the caller's back).
 */
export function isStrictSchema(schema: JSONSchemaObject): boolean {
  return schema.type === 'object' && strictNode(schema, 0);
}

type JSONSchemaObject = { [key: string]: unknown };

/** Deeper than this is taken as not strict rather than walked (schemas come from callers). */
const MAX_SCHEMA_DEPTH = 64;

function strictNode(node: unknown, depth: number): boolean {
  if (typeof node !== 'object' || node === null) return true;
  if (depth > MAX_SCHEMA_DEPTH) return false;
  if (Array.isArray(node)) return node.every((item) => strictNode(item, depth + 1));
  const schema = node as JSONSchemaObject;
  const properties = schema.properties;
  const isObject = schema.type === 'object' || (Array.isArray(schema.type) && schema.type.includes('object'));
  if (isObject || (typeof properties === 'object' && properties !== null)) {
    if (schema.additionalProperties !== false) return false;
    const names = typeof properties === 'object' && properties !== null ? Object.keys(properties) : [];
    const required = Array.isArray(schema.required) ? schema.required : [];
    if (!names.every((name) => required.includes(name))) return false;
    if (!names.every((name) => strictNode((properties as JSONSchemaObject)[name], depth + 1))) return false;
  }
  for (const key of ['items', 'anyOf', '$defs', 'definitions'] as const) {
    const child = schema[key];
    if (child === undefined) continue;
    const children = key === '$defs' || key === 'definitions' ? Object.values(child as object) : [child];
    if (!children.every((c) => strictNode(c, depth + 1))) return false;
  }
  return true;
}
