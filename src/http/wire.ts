import { z } from 'zod';
import { describeIssues } from '../config/schema.js';
import { HttpError } from './errors.js';

// OpenAI's request shapes, as far as routeplane serves them. Objects are loose: clients send
// fields this handler does not use (top_p, seed, metadata…), and OpenAI ignores none of them
// silently either, so the ones that would change the answer and cannot be honoured (`n` > 1,
// `logprobs`) are refused by name below; the rest are ignored.

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string().min(1), detail: z.string().optional() }),
});
const textContent = z.union([z.string(), z.array(textPart)]);

const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['system', 'developer']), content: textContent }),
  z.object({
    role: z.literal('user'),
    content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, imagePart]))]),
  }),
  z.object({
    role: z.literal('assistant'),
    content: textContent.nullish(),
    tool_calls: z.array(toolCall).nullish(),
  }),
  z.object({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: textContent }),
]);

const positiveInt = z.number().int().positive().nullish();

/** The body of `POST /v1/chat/completions`. */
export const ChatBodySchema = z.object({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: positiveInt,
  max_completion_tokens: positiveInt,
  temperature: z.number().nullish(),
  user: z.string().nullish(),
  n: z.literal(1, 'only 1 choice is served').nullish(),
  logprobs: z.literal(false, 'logprobs are not served').nullish(),
  tools: z
    .array(
      z.object({
        type: z.literal('function'),
        function: z.object({
          name: z.string().min(1),
          description: z.string().nullish(),
          parameters: z.record(z.string(), z.unknown()).nullish(),
        }),
      }),
    )
    .nullish(),
  tool_choice: z
    .union([
      z.enum(['auto', 'none', 'required']),
      z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
    ])
    .nullish(),
  response_format: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.object({
          name: z.string().min(1),
          schema: z.record(z.string(), z.unknown()).nullish(),
        }),
      }),
    ])
    .nullish(),
});

/** The body of `POST /v1/embeddings`. */
export const EmbeddingsBodySchema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1)]),
  dimensions: positiveInt,
  encoding_format: z.enum(['float', 'base64']).nullish(),
  user: z.string().nullish(),
});

export type ChatBody = z.infer<typeof ChatBodySchema>;
export type EmbeddingsBody = z.infer<typeof EmbeddingsBodySchema>;

/**
 * Parses a body with `schema`, or throws a 400 whose message names each failing field
 * (`messages[0].content: …`) and whose `param` is the first one.
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'the request body must be a JSON object', 'invalid_request', null);
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0]!;
  let param = '';
  for (const key of first.path) {
    if (typeof key === 'number') param += `[${key}]`;
    else param += param === '' ? String(key) : `.${String(key)}`;
  }
  return fail(`invalid request: ${describeIssues(parsed.error)}`, param || null);
}

function fail(message: string, param: string | null): never {
  throw new HttpError(400, message, 'invalid_request', param);
}
