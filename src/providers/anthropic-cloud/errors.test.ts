import { describe, expect, it } from 'vitest';
import { classifyBedrockError, classifyVertexError } from './errors.js';

const context = { provider: 'cloud', model: 'claude', secrets: ['configured-secret-key'] };

/** The shape of a Stainless APIError for an SSE `error` event: no status, the event's body. */
function streamError(type: string, message: string) {
  const error = new Error(message);
  Object.defineProperty(error, 'name', { value: 'APIError' });
  return Object.assign(error, {
    status: undefined,
    headers: new Headers(),
    error: { type: 'error', error: { type, message } },
  });
}

/** The SDKs' APIConnectionError, as they throw it when credentials cannot be resolved. */
class APIConnectionError extends Error {}

describe('Bedrock and Vertex error classification', () => {
  it('classifies an Anthropic error payload that Bedrock sent inside a chunk by its Anthropic type', () => {
    expect(classifyBedrockError(streamError('overloaded_error', 'Overloaded'), context)).toMatchObject({
      code: 'overloaded',
      providerCode: 'overloaded_error',
    });
  });

  it.each([
    ['throttlingException', 'rate_limited'],
    ['modelStreamErrorException', 'server_error'],
    ['validationException', 'bad_request'],
    ['modelTimeoutException', 'timeout'],
  ])('classifies a %s frame mid-stream as %s', (type, code) => {
    const error = classifyBedrockError(streamError(type, 'it broke'), context);

    expect(error).toMatchObject({ code, status: undefined });
    expect(error.providerCode).toBe(type.charAt(0).toUpperCase() + type.slice(1));
  });

  it('treats a credential failure the SDK reports as a connection error as final auth, not connection', () => {
    const aws = new APIConnectionError(
      'Failed to resolve AWS credentials from the credential provider chain.',
    );
    const google = new APIConnectionError('Failed to acquire Google OAuth credentials.');

    expect(classifyBedrockError(aws, context)).toMatchObject({ code: 'auth', retryable: false });
    expect(classifyVertexError(google, context)).toMatchObject({ code: 'auth', retryable: false });
  });

  it('classifies a Vertex client without a project as a final bad_request that names the field', () => {
    const error = classifyVertexError(
      new Error('No projectId was given and it could not be resolved from credentials.'),
      { ...context, provider: 'vertex-eu' },
    );

    expect(error).toMatchObject({ code: 'bad_request', retryable: false });
    expect(error.message).toContain('set projectId on providers.vertex-eu');
  });

  it('classifies a Bedrock client without a region as a final bad_request that names the field', () => {
    const error = classifyBedrockError(
      new Error('No AWS region found. Set `awsRegion` in the constructor…'),
      {
        ...context,
        provider: 'bedrock-us',
      },
    );

    expect(error).toMatchObject({ code: 'bad_request', retryable: false });
    expect(error.message).toContain('set awsRegion on providers.bedrock-us');
  });

  it('keeps known secrets out of the message of a credential failure and its cause', () => {
    const error = new APIConnectionError('Failed to acquire Google OAuth credentials.');
    Object.assign(error, { cause: new Error('refresh with configured-secret-key refused') });

    const classified = classifyVertexError(error, context);

    expect(classified.message).not.toContain('configured-secret-key');
    expect(classified.message).toContain('refused');
  });
});
