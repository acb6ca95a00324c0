// Longer than most files on purpose: every shape that enters from outside (router options,
// tenant policies, requests) is parsed here, once, so its bounds and messages sit together.
import { z } from 'zod';
import { STAGE_NAMES } from '../pipeline/context.js';
import type { Guardrail, TenantPolicy } from '../pipeline/policy.js';
import { MAX_ENTRIES as MAX_CACHE_ENTRIES } from '../stages/cache/memory-cache.js';
import { blockedTermsProblem } from '../stages/guardrails/blocked-terms.js';
import type { JSONSchema } from '../types.js';

/*
 * Every shape that enters from outside — router options, tenant policies, requests — is
 * parsed here, once. Inner code trusts the parsed types.
 */

const nonEmpty = z.string().min(1, 'must be a non-empty string');
/*
 * Bounds that keep money and time in range: costs are integers of pico-USD (price per token
 * times tokens), and Node fires a timer of 2^31 ms or more at once.
 */
const MAX_USD = 1_000_000_000;
const MAX_PRICE_PER_MTOK = 1_000_000;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** An amount of USD: a budget limit, a cost cap. */
const usd = z.number().finite().nonnegative().max(MAX_USD, `must be at most ${MAX_USD} USD`);
/** A price in USD per million tokens. */
const price = z
  .number()
  .finite()
  .nonnegative()
  .max(MAX_PRICE_PER_MTOK, `must be at most ${MAX_PRICE_PER_MTOK} USD per million tokens`);
/** A relative weight (split arms, balanced weights): sums of them must stay finite. */
const shareWeight = z.number().nonnegative().max(1_000_000, 'must be at most 1000000');
/** A delay that becomes a timer. */
const timerMs = z
  .number()
  .max(
    MAX_TIMER_MS,
    `must be at most ${MAX_TIMER_MS} ms (about 24.8 days): Node fires longer timers at once`,
  );
/**
 * The limits on a JSON value a request carries (tool parameters, tool-call arguments, a
 * response schema): how deeply it nests, and how many values it holds. Deeper or bigger
 * values are `invalid_request`: estimating, hashing and sending them would exhaust the
 * stack or stall the event loop, and no provider accepts them anyway.
 */
export const JSON_LIMITS = { maxDepth: 64, maxValues: 100_000 } as const;

/** Why `value` exceeds `JSON_LIMITS` (a cycle nests without end), or undefined. Iterative: no recursion. */
function jsonLimitProblem(value: unknown): string | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  let values = 0;
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (++values > JSON_LIMITS.maxValues) return `holds more than ${JSON_LIMITS.maxValues} values`;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > JSON_LIMITS.maxDepth)
      return `nests deeper than ${JSON_LIMITS.maxDepth} levels (or refers to itself)`;
    for (const child of Array.isArray(current) ? current : Object.values(current))
      stack.push([child, depth + 1]);
  }
  return undefined;
}

const jsonSchema = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const problem = jsonLimitProblem(value);
  if (problem)
    ctx.addIssue({ code: 'custom', message: `${problem}: the limit for a JSON value in a request` });
});

export const ModelCapabilitySchema = z.enum(['tools', 'vision', 'json', 'reasoning', 'embeddings']);

const ResponseFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json') }),
  z.strictObject({ type: z.literal('json_schema'), name: z.string().optional(), schema: jsonSchema }),
]);

const BudgetSpecSchema = z.strictObject({
  limitUsd: usd,
  period: z.enum(['hour', 'day', 'week', 'month', 'total']),
  onExceeded: z.enum(['deny', 'downgrade']).optional(),
  alertAt: z.array(z.number().gt(0).lte(1)).optional(),
});

/*
 * A model id or glob in an allow, deny or role list. Only `*` and `?` are wildcards; a `[`
 * or `{` is refused rather than matched literally, since whoever wrote `gpt-6.[12]*` or
 * `claude-{opus,sonnet}-*` meant a character class or alternatives that would match nothing.
 */
const modelPattern = nonEmpty.refine((pattern) => !/[[\]{}]/.test(pattern), {
  error: (issue) =>
    `'${String(issue.input)}' is not a model pattern: only * and ? are wildcards ([ ] { } are not); list each id or glob separately`,
});

const DeploymentSpecSchema = z.strictObject({
  provider: nonEmpty,
  model: nonEmpty.optional(),
  region: nonEmpty.optional(),
  weight: z.number().positive('must be above 0').max(1_000_000, 'must be at most 1000000').optional(),
});

export const ModelSpecSchema = z.strictObject({
  id: nonEmpty,
  provider: nonEmpty.optional(),
  model: nonEmpty.optional(),
  region: nonEmpty.optional(),
  deployments: z.array(DeploymentSpecSchema).min(1, 'must list at least one deployment').optional(),
  pricing: z
    .strictObject({
      inputPerMTok: price,
      outputPerMTok: price,
      cachedInputPerMTok: price.optional(),
      cacheWritePerMTok: price.optional(),
      cacheWrite1hPerMTok: price.optional(),
    })
    .optional(),
  contextWindow: z.number().int().positive().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  quality: z.number().min(0).max(1).optional(),
  capabilities: z.array(ModelCapabilitySchema).optional(),
  embedding: z
    .strictObject({
      dimensions: z.number().int().positive().max(65_536),
      customDimensions: z.boolean().optional(),
    })
    .optional(),
});

export const StrategyNameSchema = z.enum(['force_model', 'lowest_cost', 'balanced', 'max_reliability']);

/*
 * Strict: an unknown field is refused, so a misspelled option (or one this version does not
 * enforce yet, such as `budget`) is an error naming it, never silently ignored.
 */
export const TenantPolicySchema = z.strictObject({
  tier: nonEmpty.optional(),
  allowedModels: z.array(modelPattern).optional(),
  deniedModels: z.array(modelPattern).optional(),
  allowedRegions: z.array(nonEmpty).optional(),
  strategy: StrategyNameSchema.optional(),
  model: nonEmpty.optional(),
  fallbacks: z.array(nonEmpty).optional(),
  maxCostPerRequest: usd.optional(),
  minQuality: z.number().min(0).max(1).optional(),
  systemPrompt: z.string().optional(),
  roles: z.record(z.string(), z.strictObject({ allowedModels: z.array(modelPattern) })).optional(),
  credentials: z
    .record(
      z.string(),
      z.strictObject({
        id: nonEmpty,
        apiKey: nonEmpty,
        awsSecretKey: nonEmpty.optional(),
        awsSessionToken: nonEmpty.optional(),
      }),
    )
    .optional(),
  models: z.array(ModelSpecSchema).optional(),
  split: z
    .array(z.strictObject({ model: nonEmpty, weight: shareWeight }))
    .min(1, 'needs at least one entry')
    .refine((entries) => entries.some((e) => e.weight > 0), { message: 'needs a positive weight' })
    .optional(),
  responseFormat: ResponseFormatSchema.optional(),
  retries: z.number().int().min(0).max(10).optional(),
  attemptTimeoutMs: timerMs.int().positive().optional(),
  hedgeAfterMs: timerMs.int().positive().optional(),
  budget: BudgetSpecSchema.optional(),
  userBudget: BudgetSpecSchema.optional(),
  tagBudgets: z.record(z.string(), BudgetSpecSchema).optional(),
  rateLimit: z
    .strictObject({
      requestsPerMinute: z.number().int().positive().optional(),
      tokensPerMinute: z.number().int().positive().optional(),
      onLimit: z.enum(['reject', 'wait']).optional(),
    })
    .optional(),
  weight: z.number().min(0.001, 'must be at least 0.001').max(1_000, 'must be at most 1000').optional(),
  guardrails: z
    .strictObject({
      pii: z
        .strictObject({
          action: z.enum(['redact', 'deny']),
          types: z.array(z.enum(['email', 'phone', 'card', 'ssn', 'iban', 'ip'])).optional(),
        })
        .optional(),
      blockedTerms: z
        .array(nonEmpty)
        .superRefine((terms, ctx) => {
          // Compiled now (and cached with the list), so a term that cannot work is refused here.
          const problem = blockedTermsProblem(terms);
          if (problem) {
            const path = problem.index === undefined ? [] : [problem.index];
            ctx.addIssue({ code: 'custom', message: problem.message, path });
          }
        })
        .optional(),
      maxInputTokens: z.number().int().positive().optional(),
      outputSchema: z
        .custom<JSONSchema | { safeParse(value: unknown): { success: boolean } }>(
          (v) => typeof v === 'object' && v !== null,
          'must be a JSON Schema object or a zod schema',
        )
        .optional(),
      custom: z
        .array(
          z.strictObject({
            name: nonEmpty,
            stage: z.enum(['input', 'output']),
            check: z.custom<Guardrail['check']>((v) => typeof v === 'function', 'must be a function'),
          }),
        )
        .optional(),
    })
    .optional(),
  cache: z.strictObject({ ttlMs: z.number().int().positive() }).optional(),
  captureContent: z.boolean().optional(),
  promptCaching: z.enum(['off', '5m', '1h']).optional(),
}) satisfies z.ZodType<TenantPolicy, TenantPolicy>;

const ProviderEntrySchema = z.object({
  type: z
    .enum([
      'openai',
      'anthropic',
      'mistral',
      'openai-compatible',
      'azure-openai',
      'gemini',
      'anthropic-bedrock',
      'anthropic-vertex',
    ])
    .optional(),
  region: nonEmpty.optional(),
  apiKey: z.string().optional(),
  // gemini on Vertex AI
  vertexai: z.boolean().optional(),
  project: z.string().min(1).optional(),
  location: z.string().min(1).optional(),
  googleAuthOptions: z.object({}).passthrough().optional(),
  awsRegion: z.string().min(1).optional(),
  awsAccessKey: z.string().min(1).optional(),
  awsSecretKey: z.string().min(1).optional(),
  awsSessionToken: z.string().min(1).optional(),
  bedrockApi: z.enum(['invoke', 'messages']).optional(),
  awsCredentials: z
    .custom<() => Promise<never>>((v) => typeof v === 'function', 'must be a function')
    .optional(),
  projectId: z.string().min(1).optional(),
  accessToken: z.string().min(1).optional(),
  googleAuth: z
    .custom<object>(
      (v) =>
        typeof v === 'object' && v !== null && typeof (v as { getClient?: unknown }).getClient === 'function',
      'must be a GoogleAuth of google-auth-library',
    )
    .optional(),
  baseURL: z.string().url('must be a URL').optional(),
  endpoint: z.string().url('must be a URL, e.g. https://my-resource.openai.azure.com').optional(),
  apiVersion: z.string().min(1).optional(),
  azureADTokenProvider: z
    .custom<() => Promise<string>>((v) => typeof v === 'function', 'must be a function returning a token')
    .optional(),
  client: z.unknown().optional(),
  adapter: z
    .custom<object>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as { complete?: unknown }).complete === 'function' &&
        typeof (v as { stream?: unknown }).stream === 'function' &&
        typeof (v as { classify?: unknown }).classify === 'function',
      'must be a ProviderAdapter (complete, stream, classify)',
    )
    .optional(),
});

const TenantRecordSchema = z.record(z.string(), TenantPolicySchema);

/*
 * Not a z.union: when both branches fail, a union reports a bare "Invalid input" for a
 * policy with one bad field. The shape decides the branch (an object whose `get` is a
 * function is a source; anything else is a record of policies), whose own issues are then
 * reported with their paths.
 */
const TenantSourceSchema = z.unknown().superRefine((value, ctx) => {
  const get = (value as { get?: unknown } | null | undefined)?.get;
  if (typeof get === 'function') return;
  const parsed = TenantRecordSchema.safeParse(value);
  if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue });
});

const MiddlewareFunction = z.custom<(...args: unknown[]) => unknown>(
  (v) => typeof v === 'function',
  'must be a function',
);
const StageNameSchema = z.enum(STAGE_NAMES);

export const RouterConfigSchema = z.strictObject({
  providers: z
    .record(z.string(), ProviderEntrySchema)
    .refine((p) => Object.keys(p).length > 0, { message: 'configure at least one provider' }),
  models: z.array(ModelSpecSchema).optional(),
  tenants: TenantSourceSchema.optional(),
  tenantCacheTtlMs: z.number().int().nonnegative().optional(),
  defaultTenant: nonEmpty.optional(),
  resolveTenant: MiddlewareFunction.optional(),
  defaults: TenantPolicySchema.partial().optional(),
  tiers: z.record(z.string(), TenantPolicySchema.partial()).optional(),
  defaultMaxTokens: z.number().int().positive().optional(),
  balancedWeights: z
    .object({
      cost: shareWeight.optional(),
      quality: shareWeight.optional(),
      latency: shareWeight.optional(),
      health: shareWeight.optional(),
    })
    .optional(),
  retry: z
    .strictObject({
      retries: z.number().int().min(0).max(10).optional(),
      minDelayMs: timerMs.nonnegative().optional(),
      maxDelayMs: timerMs.nonnegative().optional(),
      maxRetryAfterMs: timerMs.nonnegative().optional(),
    })
    .optional(),
  attemptTimeoutMs: timerMs.int().positive().optional(),
  leaseMs: timerMs.int().min(100).optional(),
  settleRetry: z
    .strictObject({
      retries: z.number().int().min(0).max(100).optional(),
      minDelayMs: timerMs.nonnegative().optional(),
      maxDelayMs: timerMs.nonnegative().optional(),
      closeWaitMs: timerMs.nonnegative().optional(),
    })
    .optional(),
  breaker: z
    .strictObject({
      consecutiveFailures: z.number().int().positive().optional(),
      errorRate: z.number().gt(0).lte(1).optional(),
      window: z.number().int().positive().optional(),
      minSamples: z.number().int().positive().optional(),
      cooldownMs: z.number().nonnegative().optional(),
      windowMs: z.number().positive().optional(),
    })
    .optional(),
  audit: z.strictObject({ chain: z.boolean().optional() }).optional(),
  clock: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
  store: z
    .custom<object>(
      (v) =>
        typeof v === 'object' && v !== null && typeof (v as { reserve?: unknown }).reserve === 'function',
      'must be a Store (createMemoryStore(), createRedisStore())',
    )
    .optional(),
  concurrency: z
    .strictObject({
      maxInFlight: z.number().int().positive().optional(),
      maxQueuePerTenant: z.number().int().nonnegative().optional(),
      perProvider: z.record(z.string(), z.number().int().positive()).optional(),
    })
    .refine((c) => c.maxInFlight !== undefined || c.perProvider !== undefined, {
      message: 'set maxInFlight, perProvider or both',
    })
    .optional(),
  noisyNeighbor: z
    .strictObject({
      share: z.number().gt(0).lte(1).optional(),
      rateFactor: z.number().gt(1).optional(),
      windowMs: z.number().int().positive().optional(),
    })
    .optional(),
  cache: z
    .strictObject({
      maxEntries: z
        .number()
        .int('must be a whole number of entries')
        .min(1, 'must be at least 1')
        .max(
          MAX_CACHE_ENTRIES,
          `must be at most ${MAX_CACHE_ENTRIES.toLocaleString('en-US')} (every entry slot is allocated when the router is created)`,
        )
        .optional(),
      maxBytes: z
        .number()
        .int('must be a whole number of bytes')
        .min(1024, 'must be at least 1024 bytes')
        .max(Number.MAX_SAFE_INTEGER, 'must be a safe integer')
        .optional(),
    })
    .optional(),
  middleware: z
    .array(
      z.union([
        MiddlewareFunction,
        z.object({
          name: z.string().optional(),
          before: StageNameSchema.optional(),
          after: StageNameSchema.optional(),
          handle: MiddlewareFunction,
        }),
      ]),
    )
    .optional(),
});

const TextPartSchema = z.object({ type: z.literal('text'), text: z.string() });
const ImagePartSchema = z.union([
  z.object({ type: z.literal('image'), url: nonEmpty }),
  z.object({
    type: z.literal('image'),
    data: nonEmpty,
    mediaType: z.string().regex(/^image\//, 'must be image/*'),
  }),
]);

const ToolCallSchema = z.object({
  id: nonEmpty,
  name: nonEmpty,
  arguments: jsonSchema,
});

export const MessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({
    role: z.literal('user'),
    content: z.union([z.string(), z.array(z.union([TextPartSchema, ImagePartSchema])).min(1)]),
  }),
  z
    .object({
      role: z.literal('assistant'),
      content: z.string().optional(),
      toolCalls: z.array(ToolCallSchema).optional(),
    })
    .refine((m) => m.content !== undefined || (m.toolCalls?.length ?? 0) > 0, {
      message: 'an assistant message needs content or toolCalls',
    }),
  z.object({ role: z.literal('tool'), toolCallId: nonEmpty, content: z.string() }),
]);

export const ChatRequestSchema = z.strictObject({
  tenant: nonEmpty,
  user: z.string().optional(),
  role: z.string().optional(),
  messages: z.array(MessageSchema).min(1, 'needs at least one message'),
  strategy: StrategyNameSchema.optional(),
  forceModel: nonEmpty.optional(),
  maxCost: usd.optional(),
  maxTokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  tools: z
    .array(
      z.object({
        name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
        description: z.string().optional(),
        parameters: jsonSchema,
      }),
    )
    .optional(),
  toolChoice: z.union([z.enum(['auto', 'none', 'required']), z.object({ name: nonEmpty })]).optional(),
  vars: z.record(z.string(), z.string()).optional(),
  responseFormat: ResponseFormatSchema.optional(),
  tags: z.record(z.string(), z.string()).optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'must be an AbortSignal').optional(),
  timeoutMs: timerMs.int().positive().optional(),
  reasoning: z
    .strictObject({
      effort: z.enum(['minimal', 'low', 'medium', 'high']).optional(),
      budgetTokens: z.number().int().positive().max(1_000_000).optional(),
    })
    .optional(),
});

/** The most texts one `router.embed()` call takes. */
export const MAX_EMBED_INPUTS = 10_000;
/** The most text, in UTF-16 code units summed over the inputs, one `router.embed()` call takes: 16 Mi. */
export const MAX_EMBED_CHARS = 16 * 1024 * 1024;

const embedText = z.string().min(1, 'must be a non-empty string (providers refuse empty texts)');

export const EmbedRequestSchema = z.strictObject({
  tenant: nonEmpty,
  input: z.union([
    embedText,
    z
      .array(embedText)
      .min(1, 'needs at least one text')
      .max(MAX_EMBED_INPUTS, `holds at most ${MAX_EMBED_INPUTS} texts; split the call`),
  ]),
  user: z.string().optional(),
  role: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  strategy: StrategyNameSchema.optional(),
  forceModel: nonEmpty.optional(),
  maxCost: usd.optional(),
  dimensions: z.number().int().positive().max(65_536).optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'must be an AbortSignal').optional(),
  timeoutMs: timerMs.int().positive().optional(),
});

/**
 * Turns zod issues into one message that names each failing path (array items by index:
 * `tenants.acme.fallbacks[1]`) and what it expects:
 * `providers.openai: needs an apiKey or a ready client; defaults.minQuality: …`.
 */
export function describeIssues(error: z.ZodError, root?: string): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      let path = root ?? '';
      for (const key of issue.path) {
        if (typeof key === 'number') path += `[${key}]`;
        else path += path === '' ? String(key) : `.${String(key)}`;
      }
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}
