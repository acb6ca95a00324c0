import type { RouteContext } from '../../pipeline/context.js';
import type { MiddlewareEntry } from '../../router.js';
import type { Message } from '../../types.js';
import { type CachedAnswer, captureAnswer, serveCached } from './answer.js';
import { scopeKey } from './key.js';

/** Turns a prompt's text into a vector. Supplied by the host (an embeddings API, a local model…). */
export type Embedder = (text: string) => readonly number[] | Promise<readonly number[]>;

/**
 * Where a semantic cache keeps its vectors. Every method takes the tenant: an index must
 * only ever compare a tenant's lookups with that tenant's own entries. `scope` is the hash
 * of everything but the messages (policy version, user, parameters: see `scopeText` in key.ts),
 * so a near-duplicate prompt only matches an answer made under the same parameters.
 */
export interface SemanticIndex {
  /** The answer of the most similar live entry of this tenant and scope with cosine similarity ≥ `threshold`. */
  lookup(
    tenant: string,
    scope: string,
    embedding: readonly number[],
    threshold: number,
    now: number,
  ): CachedAnswer | undefined;
  /** Keeps an answer until `expiresAt` (ms on the router's clock, as `now` is). */
  store(
    tenant: string,
    scope: string,
    embedding: readonly number[],
    answer: CachedAnswer,
    expiresAt: number,
    now: number,
  ): void;
}

export interface SemanticCacheOptions {
  embed: Embedder;
  /** Cosine similarity (−1..1) at or above which a prompt counts as the same question, such as 0.95. */
  threshold: number;
  /** For the built-in index: entries kept per tenant, oldest dropped first. Default 1000. */
  maxEntriesPerTenant?: number;
  /** Your own index (a vector database…); default an in-memory one per middleware. */
  index?: SemanticIndex;
}

interface Entry {
  scope: string;
  embedding: readonly number[];
  norm: number;
  answer: string;
  expiresAt: number;
}

/** An in-memory `SemanticIndex`: per tenant, a list of at most `maxEntriesPerTenant` entries, scanned linearly. */
export function createMemorySemanticIndex(options: { maxEntriesPerTenant?: number } = {}): SemanticIndex {
  const max = options.maxEntriesPerTenant ?? 1000;
  const byTenant = new Map<string, Entry[]>();
  return {
    lookup(tenant, scope, embedding, threshold, now) {
      const entries = byTenant.get(tenant);
      if (!entries) return undefined;
      const norm = normOf(embedding);
      let best: Entry | undefined;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (const entry of entries) {
        if (entry.scope !== scope || entry.expiresAt <= now) continue;
        const score = cosine(embedding, norm, entry.embedding, entry.norm);
        if (score >= threshold && score > bestScore) {
          best = entry;
          bestScore = score;
        }
      }
      return best && (JSON.parse(best.answer) as CachedAnswer);
    },
    store(tenant, scope, embedding, answer, expiresAt, now) {
      const live = (byTenant.get(tenant) ?? []).filter((e) => e.expiresAt > now);
      live.push({
        scope,
        embedding: [...embedding],
        norm: normOf(embedding),
        answer: JSON.stringify(answer),
        expiresAt,
      });
      while (live.length > max) live.shift();
      byTenant.set(tenant, live);
    },
  };
}

/**
 * A semantic answer cache as custom middleware, for tenants whose policy sets
 * `cache: { ttlMs }`: a call whose prompt embeds within `threshold` (cosine) of an earlier
 * answered prompt of the same tenant, under the same parameters and policy version, gets
 * that answer, as an exact-match hit does (`cached: true`, cost 0, `cache.hit`). It sits
 * after the exact-match cache (which answers first) and before the rate limit.
 *
 * Entries are per tenant: a tenant's lookups only ever see its own entries.
 *
 * @example
 * ```ts
 * const router = createRouter({
 *   providers,
 *   tenants: { acme: { cache: { ttlMs: 3_600_000 } } },
 *   middleware: [createSemanticCacheMiddleware({ embed: (text) => embedder.embed(text), threshold: 0.95 })],
 * });
 * ```
 */
export function createSemanticCacheMiddleware(options: SemanticCacheOptions): MiddlewareEntry {
  const index =
    options.index ??
    createMemorySemanticIndex(
      options.maxEntriesPerTenant === undefined ? {} : { maxEntriesPerTenant: options.maxEntriesPerTenant },
    );
  return {
    name: 'semantic-cache',
    before: 'ratelimit',
    // Built in, so it may use the router's own context, which is what every middleware gets.
    handle: (middlewareCtx, next) => semantic(middlewareCtx as RouteContext, next),
  };

  async function semantic(ctx: RouteContext, next: () => Promise<void>): Promise<void> {
    const ttlMs = ctx.policy?.cache?.ttlMs;
    if (ttlMs === undefined || ctx.mode === 'explain' || ctx.mode === 'embed' || ctx.cached) return next();
    const scope = scopeKey(ctx);
    const embedding = await options.embed(promptText(ctx.messages));
    const tenant = ctx.tenant;
    const hit = index.lookup(tenant, scope, embedding, options.threshold, ctx.services.now());
    if (hit && serveCached(ctx, hit)) return;
    await next();
    captureAnswer(ctx, (answer) => {
      const now = ctx.services.now();
      index.store(tenant, scope, embedding, answer, now + ttlMs, now);
    });
  }
}

/** The text of every message, one per line with its role, as the embedder sees the prompt. */
export function promptText(messages: readonly Message[]): string {
  return messages
    .map((m) => {
      const content = m.content ?? '';
      const text =
        typeof content === 'string'
          ? content
          : content.map((part) => (part.type === 'text' ? part.text : '')).join(' ');
      return `${m.role}: ${text}`;
    })
    .join('\n');
}

function normOf(v: readonly number[]): number {
  let sum = 0;
  for (const x of v) sum += x * x;
  return Math.sqrt(sum);
}

function cosine(a: readonly number[], normA: number, b: readonly number[], normB: number): number {
  if (normA === 0 || normB === 0 || a.length !== b.length) return Number.NEGATIVE_INFINITY;
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot / (normA * normB);
}
