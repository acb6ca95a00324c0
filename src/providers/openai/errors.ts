import { ProviderError } from '../../errors.js';
import {
  classifyFailure,
  contextFacts,
  errorMessage,
  type FailureContext,
  type HeaderSource,
  isConnectionFailure,
  isRecord,
  isTimeout,
  type ResponseFacts,
} from '../classify.js';

/** A 200 answer whose body is not a usable completion. */
export class MalformedResponseError extends Error {
  override readonly name = 'MalformedResponseError';
}

/**
 * Classifies anything the OpenAI SDK (or a stream from it) threw into a secret-free
 * `ProviderError`, through the shared `classifyFailure()` for everything with an HTTP status:
 *
 * - an abort of the caller's signal, or the SDK's own timeout → `timeout`;
 * - an HTTP error → by status; a 400's `code`/`type` and message refine it into
 *   `context_length` (`context_length_exceeded`) or `content_filter`; `retry-after-ms` and
 *   `retry-after` give `retryAfterMs`;
 * - no response at all (refused, reset, cut mid-body or mid-stream) → `connection`;
 * - a 200 that is not a valid completion (bad JSON, no choices) or an error event inside a
 *   stream → `server_error`: the provider's fault, worth another try.
 *
 * The SDK's error classes are duck-typed (status, headers, error body, class name), never
 * checked with `instanceof`, so a client built from another copy of `openai` is classified
 * the same way.
 */
export function classifyOpenAIError(error: unknown, context: FailureContext): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  const facts = contextFacts(context);
  const message = errorMessage(error);
  if (context.aborted || isTimeout(error)) return classifyFailure({ ...facts, message, timedOut: true });
  const api = readApiError(error);
  // The body's message, not `error.message`, which the SDK prefixes with the status.
  if (api?.status !== undefined) return classifyFailure({ ...facts, message, ...api });
  if (isConnectionFailure(error)) return classifyFailure({ ...facts, message, connection: true });
  // A 200 that is no completion, or an error body without a status: an `error` event in a stream.
  const detail = api?.message ?? message;
  return classifyFailure({
    ...facts,
    ...api,
    message: `malformed or failed response: ${detail}`,
    malformed: true,
  });
}

/** Reads the fields of a Stainless `APIError`; undefined for anything without them. */
function readApiError(error: unknown): ResponseFacts | undefined {
  if (!isRecord(error)) return undefined;
  const body = isRecord(error.error) ? error.error : undefined;
  const status = typeof error.status === 'number' ? error.status : undefined;
  if (status === undefined && !body) return undefined;
  const facts: ResponseFacts = {};
  if (status !== undefined) facts.status = status;
  if (isHeaderSource(error.headers)) facts.headers = error.headers;
  if (typeof body?.message === 'string') facts.message = body.message;
  const code = firstString(error.code, error.type, body?.code, body?.type);
  if (code !== undefined) facts.providerCode = code;
  return facts;
}

function isHeaderSource(value: unknown): value is HeaderSource {
  return isRecord(value);
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value !== '');
}
