import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../errors.js';
import { IncompleteStreamError } from '../classify.js';
import { classifyOpenAIError } from './errors.js';

const context = { provider: 'openai', model: 'gpt-4o', secrets: ['sk-live-secret-key-000'] };

/** Shaped like the SDK's classes, which set no `name`: only the constructor tells them apart. */
class APIConnectionError extends Error {
  readonly status = undefined;
  readonly headers = undefined;
  readonly error = undefined;
}
class APIUserAbortError extends Error {
  readonly status = undefined;
}

describe('classifyOpenAIError', () => {
  it('reads status, code and a plain-record retry-after-ms off an error of another SDK copy', () => {
    const error = Object.assign(new Error('429 slow down'), {
      status: 429,
      headers: { 'retry-after-ms': '250' },
      error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' },
      code: 'rate_limit_exceeded',
    });
    expect(classifyOpenAIError(error, context)).toMatchObject({
      code: 'rate_limited',
      status: 429,
      retryAfterMs: 250,
      providerCode: 'rate_limit_exceeded',
      message: 'openai (gpt-4o) failed with rate_limited 429: slow down',
    });
  });

  it('tells connection failures from timeouts and aborts by class name', () => {
    expect(classifyOpenAIError(new APIConnectionError('Connection error.'), context).code).toBe('connection');
    expect(classifyOpenAIError(new APIUserAbortError('Request was aborted.'), context).code).toBe('timeout');
    expect(classifyOpenAIError(new DOMException('timed out', 'TimeoutError'), context).code).toBe('timeout');
  });

  it('treats a network TypeError with a coded cause, and a stream without its end, as connection', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
    });
    expect(classifyOpenAIError(refused, context).code).toBe('connection');
    expect(classifyOpenAIError(new IncompleteStreamError('cut'), context).code).toBe('connection');
  });

  it('blames the provider for an error event inside a 200 stream, keeping its code', () => {
    const inStream = Object.assign(new Error('boom'), {
      status: undefined,
      error: { message: 'The server had an error', type: 'server_error' },
    });
    expect(classifyOpenAIError(inStream, context)).toMatchObject({
      code: 'server_error',
      providerCode: 'server_error',
    });
  });

  it('classifies as timeout whatever was thrown once the signal fired', () => {
    expect(classifyOpenAIError(new IncompleteStreamError('ended'), { ...context, aborted: true }).code).toBe(
      'timeout',
    );
  });

  it('removes known keys from every message', () => {
    const error = new SyntaxError('Unexpected token in tenant-key-xyz');
    const classified = classifyOpenAIError(error, { ...context, secrets: ['tenant-key-xyz'] });
    expect(classified.code).toBe('server_error');
    expect(classified.message).toContain('[REDACTED]');
    expect(classified.message).not.toContain('tenant-key-xyz');
  });

  it('returns a ProviderError unchanged', () => {
    const error = new ProviderError('auth', 'no', { provider: 'openai' });
    expect(classifyOpenAIError(error, context)).toBe(error);
  });
});
