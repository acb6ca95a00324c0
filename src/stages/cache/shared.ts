import type { RouteContext } from '../../pipeline/context.js';
import type { SharedAnswerCache } from '../../store/cache.js';
import type { FinishReason, ToolCall, Usage } from '../../types.js';
import { type CachedAnswer, isCacheable } from './answer.js';

/** An answer read from the shared cache, and how long this router may keep its own copy. */
export interface SharedHit {
  answer: CachedAnswer;
  ttlMs: number;
}

/**
 * Looks `key` up in the store's shared cache. A miss, a failure (reported as `store.error`)
 * and a value that is not a cached answer (anyone with access to the store may write one)
 * are all undefined: the call goes on to the provider.
 */
export async function readShared(
  ctx: RouteContext,
  shared: SharedAnswerCache,
  key: string,
  ttlMs: number,
): Promise<SharedHit | undefined> {
  let entry: Awaited<ReturnType<SharedAnswerCache['get']>>;
  try {
    entry = await shared.get(ctx.tenant, key);
  } catch (error) {
    reportFailure(ctx, 'get', error);
    return undefined;
  }
  if (!entry || typeof entry.value !== 'string') return undefined;
  const answer = parseCachedAnswer(entry.value);
  if (!answer) return undefined;
  const left = entry.ttlMs;
  return { answer, ttlMs: left !== undefined && left > 0 && left < ttlMs ? left : ttlMs };
}

/** Writes an answer to the shared cache without waiting: a failure is reported, never thrown. */
export function writeShared(
  ctx: RouteContext,
  shared: SharedAnswerCache,
  key: string,
  answer: CachedAnswer,
  ttlMs: number,
): void {
  try {
    shared
      .set(ctx.tenant, key, JSON.stringify(answer), ttlMs)
      .catch((error) => reportFailure(ctx, 'set', error));
  } catch (error) {
    reportFailure(ctx, 'set', error);
  }
}

function reportFailure(ctx: RouteContext, op: 'get' | 'set', error: unknown): void {
  ctx.services.emit('store.error', () => ({
    timestamp: ctx.services.now(),
    message: `shared answer cache: ${op} failed: ${error instanceof Error ? error.message : String(error)}; the call went on as a cache miss`,
    failOpen: true,
    tenant: ctx.tenant,
    requestId: ctx.requestId,
  }));
}

/**
 * The cached answer in `text` (JSON, as the router writes it), or undefined when it is not
 * one: not JSON, a field missing or of the wrong type, a finish that is never cached.
 * Only the fields of a `CachedAnswer` are kept.
 */
export function parseCachedAnswer(text: string): CachedAnswer | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const { model, content, toolCalls, finishReason, usage, costUsd, embeddings } = value;
  if (typeof model !== 'string' || model === '' || typeof content !== 'string') return undefined;
  if (typeof finishReason !== 'string' || !isCacheable(finishReason as FinishReason)) return undefined;
  if (!isCount(costUsd)) return undefined;
  const parsedUsage = parseUsage(usage);
  if (!parsedUsage) return undefined;
  let calls: ToolCall[] | undefined;
  if (toolCalls !== undefined) {
    if (!Array.isArray(toolCalls)) return undefined;
    calls = [];
    for (const call of toolCalls) {
      if (!isRecord(call) || typeof call.id !== 'string' || typeof call.name !== 'string') return undefined;
      if (!isRecord(call.arguments)) return undefined;
      calls.push({ id: call.id, name: call.name, arguments: call.arguments });
    }
  }
  if (embeddings !== undefined && !isVectors(embeddings)) return undefined;
  return {
    model,
    content,
    ...(calls && calls.length > 0 && { toolCalls: calls }),
    ...(embeddings !== undefined && { embeddings }),
    finishReason: finishReason as FinishReason,
    usage: parsedUsage,
    costUsd,
  };
}

const OPTIONAL_USAGE = [
  'cachedInputTokens',
  'cacheWriteInputTokens',
  'cacheWrite1hInputTokens',
  'reasoningTokens',
] as const;

function parseUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const { inputTokens, outputTokens, totalTokens } = value;
  if (!isCount(inputTokens) || !isCount(outputTokens) || !isCount(totalTokens)) return undefined;
  const usage: Usage = { inputTokens, outputTokens, totalTokens };
  for (const field of OPTIONAL_USAGE) {
    const count = value[field];
    if (count === undefined) continue;
    if (!isCount(count)) return undefined;
    usage[field] = count;
  }
  return usage;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isVectors(value: unknown): value is number[][] {
  return (
    Array.isArray(value) &&
    value.every((v) => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)))
  );
}
