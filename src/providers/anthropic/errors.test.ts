import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../errors.js';
import { IncompleteStreamError } from '../classify.js';
import { classifyAnthropicError } from './errors.js';

const context = { provider: 'anthropic', model: 'claude-sonnet-4-6', secrets: ['sk-ant-configured-key'] };

/** The shape of a Stainless APIError, as the SDK builds it for an `error` event mid-stream. */
function streamErrorEvent(type: string, message: string) {
  const error = new Error(message);
  Object.defineProperty(error, 'name', { value: 'APIError' });
  return Object.assign(error, {
    status: undefined,
    headers: new Headers(),
    error: { type: 'error', error: { type, message } },
    type,
  });
}

describe('anthropic error classification', () => {
  it.each([
    ['overloaded_error', 'overloaded'],
    ['rate_limit_error', 'rate_limited'],
    ['api_error', 'server_error'],
    ['invalid_request_error', 'bad_request'],
  ])('classifies a %s event inside a stream as %s, claiming no HTTP status', (type, code) => {
    const error = classifyAnthropicError(streamErrorEvent(type, 'it broke'), context);

    expect(error).toMatchObject({ code, providerCode: type, status: undefined });
    expect(error.message).toBe(`anthropic (claude-sonnet-4-6) failed with ${code}: it broke`);
  });

  it('classifies anything thrown after the request signal fired as timeout', () => {
    const error = classifyAnthropicError(new IncompleteStreamError('ended early'), {
      ...context,
      aborted: true,
    });

    expect(error.code).toBe('timeout');
  });

  it('classifies a stream that ended early without an abort as connection', () => {
    expect(classifyAnthropicError(new IncompleteStreamError('ended early'), context).code).toBe('connection');
  });

  it('classifies the SDK finding no credentials as auth, a final error', () => {
    const error = classifyAnthropicError(
      new Error('Could not resolve authentication method. Expected one of apiKey, authToken…'),
      context,
    );

    expect(error).toMatchObject({ code: 'auth', retryable: false });
  });

  it('classifies a body that is not JSON as server_error, and keeps configured keys out of it', () => {
    const error = classifyAnthropicError(
      new SyntaxError('Unexpected token near sk-ant-configured-key'),
      context,
    );

    expect(error).toMatchObject({ code: 'server_error', retryable: true });
    expect(error.message).not.toContain('sk-ant-configured-key');
  });

  it('passes an already classified error through unchanged', () => {
    const classified = new ProviderError('auth', 'no', { provider: 'anthropic' });

    expect(classifyAnthropicError(classified, context)).toBe(classified);
  });
});
