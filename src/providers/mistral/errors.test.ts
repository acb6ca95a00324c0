import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../errors.js';
import type { FailureContext } from '../classify.js';
import { classifyMistralError } from './errors.js';

const context: FailureContext = {
  provider: 'mistral',
  model: 'mistral-small-latest',
  secrets: ['sk-mistral-secret'],
};

/** An error shaped like the SDK's MistralError family, built without the SDK. */
function httpError(name: string, status: number, body: unknown, headers: Record<string, string> = {}): Error {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const rawResponse = new Response(text, { status, headers });
  return Object.assign(new Error(`API error occurred: Status ${status}. Body: ${text}`), {
    name,
    statusCode: status,
    body: text,
    headers: rawResponse.headers,
    rawResponse,
  });
}

function named(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

describe('classifyMistralError', () => {
  it('reads status, retry-after, message and type off an SDKError', () => {
    const error = classifyMistralError(
      httpError(
        'SDKError',
        429,
        { object: 'error', message: 'Rate limit exceeded', type: 'rate_limited', param: null, code: '1300' },
        { 'retry-after': '3' },
      ),
      context,
    );

    expect(error).toMatchObject({
      code: 'rate_limited',
      status: 429,
      retryAfterMs: 3000,
      providerCode: 'rate_limited',
    });
    expect(error.message).toBe(
      'mistral (mistral-small-latest) failed with rate_limited 429: Rate limit exceeded',
    );
  });

  it('words a 422 from the validation detail Mistral nests in its message', () => {
    const body = {
      object: 'error',
      message: { detail: [{ type: 'missing', loc: ['body', 'model'], msg: 'Field required' }] },
      type: 'invalid_request_message_error',
    };

    const error = classifyMistralError(httpError('HTTPValidationError', 422, body), context);

    expect(error.code).toBe('bad_request');
    expect(error.message).toContain('body.model: Field required');
  });

  it('refines a bad request about the context window into context_length', () => {
    const body = {
      message: 'Prompt contains 40000 tokens, too large for model with 32768 maximum context length',
    };

    expect(classifyMistralError(httpError('SDKError', 400, body), context).code).toBe('context_length');
  });

  it('keeps a gateway body that is not JSON as the message', () => {
    const error = classifyMistralError(httpError('SDKError', 502, '<html>Bad Gateway</html>'), context);

    expect(error.code).toBe('server_error');
    expect(error.message).toContain('<html>Bad Gateway</html>');
  });

  it('classifies the SDK client errors by name', () => {
    expect(classifyMistralError(named('RequestTimeoutError'), context).code).toBe('timeout');
    expect(classifyMistralError(named('RequestAbortedError'), context).code).toBe('timeout');
    expect(classifyMistralError(named('ConnectionError'), context).code).toBe('connection');
    expect(classifyMistralError(named('UnexpectedClientError'), context).code).toBe('connection');
    expect(classifyMistralError(new TypeError('terminated'), context).code).toBe('connection');
    expect(classifyMistralError(named('SDKValidationError'), context).code).toBe('bad_request');
  });

  it('classifies a malformed success as server_error, whether bad JSON or the wrong shape', () => {
    expect(classifyMistralError(new SyntaxError('Unexpected end of JSON input'), context).code).toBe(
      'server_error',
    );
    expect(classifyMistralError(named('ZodError'), context).code).toBe('server_error');
    expect(classifyMistralError(httpError('ResponseValidationError', 200, { id: 1 }), context).code).toBe(
      'server_error',
    );
    expect(classifyMistralError(httpError('SDKError', 200, 'not json'), context).code).toBe('server_error');
  });

  it('classifies a ResponseValidationError of an error status by that status', () => {
    expect(classifyMistralError(httpError('ResponseValidationError', 422, { detail: 7 }), context).code).toBe(
      'bad_request',
    );
  });

  it('classifies anything as timeout once the caller signal has fired', () => {
    expect(classifyMistralError(new TypeError('terminated'), { ...context, aborted: true }).code).toBe(
      'timeout',
    );
  });

  it('returns a ProviderError as it is', () => {
    const given = new ProviderError('overloaded', 'busy', { provider: 'mistral' });

    expect(classifyMistralError(given, context)).toBe(given);
  });

  it('removes known keys from the message', () => {
    const body = {
      object: 'error',
      message: 'Invalid key sk-mistral-secret and mistral-key-2',
      type: 'unauthorized',
    };

    const error = classifyMistralError(httpError('SDKError', 401, body), {
      ...context,
      secrets: ['mistral-key-2'],
    });

    expect(error.code).toBe('auth');
    expect(error.message).not.toMatch(/sk-mistral-secret|mistral-key-2/);
  });
});
