import { ProviderError, type ProviderErrorCode, redactSecrets } from '../../errors.js';
import { classifyAnthropicError } from '../anthropic/errors.js';
import {
  classifyFailure,
  contextFacts,
  errorMessage,
  errorNames,
  type FailureContext,
  type HeaderSource,
  isRecord,
  readHeader,
  withCode,
} from '../classify.js';

/**
 * The code of each Bedrock exception (the `x-amzn-errortype` of an HTTP error, or the
 * `:exception-type` of a frame mid-stream, which the SDK turns into an SSE `error` event typed
 * by it in camel case). Those not listed are classified by their status.
 */
const BEDROCK_CODES: Record<string, ProviderErrorCode> = {
  ThrottlingException: 'rate_limited',
  ServiceQuotaExceededException: 'quota_exceeded',
  ModelNotReadyException: 'overloaded',
  ServiceUnavailableException: 'overloaded',
  InternalServerException: 'server_error',
  ModelErrorException: 'server_error',
  ModelStreamErrorException: 'server_error',
  ModelTimeoutException: 'timeout',
  AccessDeniedException: 'auth',
  UnrecognizedClientException: 'auth',
  InvalidSignatureException: 'auth',
  IncompleteSignatureException: 'auth',
  ExpiredTokenException: 'auth',
  ResourceNotFoundException: 'not_found',
};

/** The status Bedrock documents for each exception, for those that arrive mid-stream without one. */
const BEDROCK_STATUS: Record<string, number> = {
  ThrottlingException: 429,
  ServiceQuotaExceededException: 400,
  ModelNotReadyException: 429,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
  ModelErrorException: 424,
  ModelStreamErrorException: 424,
  ModelTimeoutException: 408,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ValidationException: 400,
};

const AWS_CREDENTIALS_FAILED = /Failed to resolve AWS credentials/i;
const GOOGLE_CREDENTIALS_FAILED = /Failed to acquire Google OAuth credentials/i;
const NO_PROJECT = /No projectId was given/i;
const NO_REGION = /No AWS region (or base URL )?found/i;

/**
 * Classifies anything `@anthropic-ai/bedrock-sdk` threw. Bedrock's own errors (a
 * `{ "message" }` body typed by the `x-amzn-errortype` header, or an exception frame in a
 * stream) by their exception: `ThrottlingException` → `rate_limited`,
 * `ServiceQuotaExceededException` → `quota_exceeded`, `ModelNotReadyException` and
 * `ServiceUnavailableException` → `overloaded`, `ModelTimeoutException` → `timeout`,
 * `AccessDeniedException` and the signature errors → `auth`, `ResourceNotFoundException` →
 * `not_found`, `ValidationException` → `bad_request` (or `context_length`, `content_filter`
 * by its message). AWS credentials that cannot be resolved → `auth`, final, saying what to
 * configure. Everything else (Anthropic-shaped errors, connection failures, aborts) as the
 * Anthropic API's, by `classifyAnthropicError()`.
 */
export function classifyBedrockError(error: unknown, context: FailureContext): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  if (!context.aborted && isCredentialFailure(error, AWS_CREDENTIALS_FAILED)) {
    return setupError(
      error,
      context,
      'no AWS credentials could be resolved',
      `set awsAccessKey and awsSecretKey (or awsCredentials) on providers.${context.provider}, give the tenant an AWS credential, or configure the default AWS chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance or container role)`,
    );
  }
  if (!context.aborted && NO_REGION.test(errorMessage(error))) {
    return setupError(
      error,
      context,
      'no AWS region',
      `set awsRegion on providers.${context.provider}`,
      'bad_request',
    );
  }
  const exception = context.aborted ? undefined : readBedrockException(error);
  if (!exception) return classifyAnthropicError(error, context);

  const facts = {
    ...contextFacts(context),
    message: exception.message,
    providerCode: exception.type,
    ...(exception.headers !== undefined && { headers: exception.headers }),
  };
  const status = exception.status ?? BEDROCK_STATUS[exception.type];
  const byStatus =
    exception.status !== undefined
      ? classifyFailure({ ...facts, status: exception.status })
      : // Mid-stream: no HTTP status to claim; the code is the one its documented status gives.
        withCode(
          classifyFailure({ ...facts, connection: true }),
          status === undefined ? 'server_error' : classifyFailure({ ...facts, status }).code,
        );
  const code = BEDROCK_CODES[exception.type];
  return code === undefined ? byStatus : withCode(byStatus, code);
}

/**
 * Classifies anything `@anthropic-ai/vertex-sdk` threw. Google's own errors (`{ "error":
 * { code, message, status } }`: 429 `RESOURCE_EXHAUSTED` → `rate_limited`, 403
 * `PERMISSION_DENIED` → `auth`, 404 `NOT_FOUND` → `not_found`…) by their status, with the
 * Google status as `providerCode`; Google credentials that cannot be acquired → `auth`, and
 * no project → `bad_request`, both final, saying what to configure. Everything else (the
 * Anthropic-shaped errors Vertex passes through, connection failures, aborts) as the
 * Anthropic API's, by `classifyAnthropicError()`.
 */
export function classifyVertexError(error: unknown, context: FailureContext): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  if (!context.aborted && isCredentialFailure(error, GOOGLE_CREDENTIALS_FAILED)) {
    return setupError(
      error,
      context,
      'no Google credentials could be acquired',
      `set accessToken (or googleAuth) on providers.${context.provider}, give the tenant an access token, or configure Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, or gcloud auth application-default login)`,
    );
  }
  if (!context.aborted && NO_PROJECT.test(errorMessage(error))) {
    return setupError(
      error,
      context,
      'no Google Cloud project',
      `set projectId on providers.${context.provider}`,
      'bad_request',
    );
  }
  const google = context.aborted ? undefined : readGoogleError(error);
  if (!google) return classifyAnthropicError(error, context);
  return classifyFailure({ ...contextFacts(context), ...google });
}

/** A credential resolution failure: the SDKs wrap it as an `APIConnectionError`, which is no connection failure. */
function isCredentialFailure(error: unknown, pattern: RegExp): boolean {
  return errorNames(error).includes('APIConnectionError') && pattern.test(errorMessage(error));
}

/** A final failure of the entry's setup: what happened, the SDK's cause, and what to configure. */
function setupError(
  error: unknown,
  context: FailureContext,
  what: string,
  todo: string,
  code: ProviderErrorCode = 'auth',
): ProviderError {
  const cause = isRecord(error) && error.cause !== undefined ? ` (${errorMessage(error.cause)})` : '';
  const where = context.model ? `${context.provider} (${context.model})` : context.provider;
  const message = redactSecrets(`${where} failed with ${code}: ${what}${cause}: ${todo}`, context.secrets);
  return new ProviderError(code, message, {
    provider: context.provider,
    ...(context.model !== undefined && { model: context.model }),
    retryable: false,
  });
}

interface BedrockException {
  /** The exception's name, PascalCase: `ThrottlingException`. */
  type: string;
  message: string;
  status?: number;
  headers?: HeaderSource;
}

/**
 * A Bedrock exception in a Stainless `APIError`: an HTTP error typed by `x-amzn-errortype`
 * (`ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/`), or an SSE
 * `error` event the SDK made of an exception frame (`{ type: 'throttlingException' }`).
 */
function readBedrockException(error: unknown): BedrockException | undefined {
  if (!isRecord(error)) return undefined;
  const body = isRecord(error.error) ? error.error : undefined;
  if (typeof error.status === 'number' && isRecord(error.headers)) {
    const headers = error.headers as HeaderSource;
    // The header, else the body's `__type` or `code`, as the AWS SDKs read them.
    const raw = readHeader(headers, 'x-amzn-errortype') || body?.__type || body?.code;
    if (typeof raw !== 'string' || raw === '') return undefined;
    const type = exceptionName(raw);
    const text = body?.message ?? body?.Message;
    return {
      type,
      message: typeof text === 'string' ? text : errorMessage(error),
      status: error.status,
      headers,
    };
  }
  const inner = isRecord(body?.error) ? body.error : undefined;
  if (typeof inner?.type !== 'string' || !/Exception$/.test(inner.type)) return undefined;
  const type = inner.type.charAt(0).toUpperCase() + inner.type.slice(1);
  return { type, message: typeof inner.message === 'string' ? inner.message : errorMessage(error) };
}

/**
 * The exception's name in an AWS error type: `ThrottlingException:http://internal.amazon.com/…`,
 * `com.amazon.bedrock#ThrottlingException`, or the name alone.
 */
function exceptionName(raw: string): string {
  const name = raw.split(',')[0]!.split(':')[0]!;
  return name.includes('#') ? name.slice(name.indexOf('#') + 1) : name;
}

/** Google's `{ error: { code, message, status } }` in a Stainless `APIError`. */
function readGoogleError(
  error: unknown,
): { status: number; message: string; providerCode?: string; headers?: HeaderSource } | undefined {
  if (!isRecord(error) || typeof error.status !== 'number') return undefined;
  const body = Array.isArray(error.error) ? error.error[0] : error.error;
  const inner = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  // Anthropic's bodies, passed through, carry a `type`; Google's a `status`.
  if (!inner || typeof inner.status !== 'string' || 'type' in inner) return undefined;
  return {
    status: error.status,
    message: typeof inner.message === 'string' ? inner.message : errorMessage(error),
    providerCode: inner.status,
    ...(isRecord(error.headers) && { headers: error.headers as HeaderSource }),
  };
}
