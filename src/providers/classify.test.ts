import { describe, expect, it } from 'vitest';
import { ProviderError } from '../errors.js';
import {
  classifyFailure,
  contextFacts,
  errorMessage,
  errorNames,
  IncompleteStreamError,
  isAbortError,
  isConnectionFailure,
  isRecord,
  isTimeout,
  parseDurationMs,
  parseRateLimitResetMs,
  parseRetryAfterMs,
  withCode,
} from './classify.js';

/** An error of class `className` whose `name` stays 'Error', as the Stainless SDKs leave it. */
function stainless(className: string, message = 'failed'): Error {
  const Class = { [className]: class extends Error {} }[className] as ErrorConstructor;
  return new Class(message);
}

/** An error whose `name` is set to its class name, as the Mistral (Speakeasy) SDK does. */
function speakeasy(name: string, message = 'failed'): Error {
  return Object.assign(new Error(message), { name });
}

/** `error` wrapped in `depth` more errors, each the `cause` of the next. */
function wrapped(error: unknown, depth: number): unknown {
  let current = error;
  for (let i = 0; i < depth; i++) current = new Error(`wrapper ${i}`, { cause: current });
  return current;
}

const coded = (code: string) => Object.assign(new Error('socket trouble'), { code });

describe('error inspection', () => {
  it('reads both the class name and the name of an error', () => {
    expect(errorNames(stainless('APIConnectionError'))).toEqual(['APIConnectionError', 'Error']);
    expect(errorNames(new DOMException('late', 'TimeoutError'))).toEqual(['DOMException', 'TimeoutError']);
    expect(errorNames('a string')).toEqual([]);
    expect(errorNames(null)).toEqual([]);
  });

  it('reads the message of an error or of a record, else the value itself', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage({ message: 'from a record' })).toBe('from a record');
    expect(errorMessage({ message: 7 })).toBe('[object Object]');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(undefined)).toBe('undefined');
  });

  it('tells records from everything else', () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord(new Error('x'))).toBe(true);
    expect(isRecord(null)).toBe(false);
    expect(isRecord('x')).toBe(false);
  });
});

describe('isTimeout', () => {
  it.each([
    ['a DOMException AbortError', new DOMException('aborted', 'AbortError')],
    ['the TimeoutError of AbortSignal.timeout()', new DOMException('timed out', 'TimeoutError')],
    ["Stainless's APIUserAbortError, by class name", stainless('APIUserAbortError')],
    ["Stainless's APIConnectionTimeoutError, by class name", stainless('APIConnectionTimeoutError')],
    ["Mistral's RequestTimeoutError, by name", speakeasy('RequestTimeoutError')],
    ["Mistral's RequestAbortedError, by name", speakeasy('RequestAbortedError')],
  ])('is true for %s', (_, error) => {
    expect(isTimeout(error)).toBe(true);
  });

  it.each([
    ['a plain Error', new Error('x')],
    ["undici's cut connection", new TypeError('terminated')],
    ['a connection error', stainless('APIConnectionError')],
    ['a string', 'TimeoutError'],
  ])('is false for %s', (_, error) => {
    expect(isTimeout(error)).toBe(false);
  });

  it('counts aborts among timeouts, but not the other way round', () => {
    expect(isAbortError(stainless('APIUserAbortError'))).toBe(true);
    expect(isAbortError(speakeasy('RequestAbortedError'))).toBe(true);
    expect(isAbortError(new DOMException('timed out', 'TimeoutError'))).toBe(false);
  });
});

describe('isConnectionFailure', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])(
    'finds %s in the cause of a TypeError("fetch failed")',
    (code) => {
      expect(isConnectionFailure(new TypeError('fetch failed', { cause: coded(code) }))).toBe(true);
    },
  );

  it('looks up to four errors deep through `cause`, and no further', () => {
    expect(isConnectionFailure(wrapped(coded('ECONNRESET'), 3))).toBe(true);
    expect(isConnectionFailure(wrapped(coded('ECONNRESET'), 4))).toBe(false);
    expect(isConnectionFailure(wrapped(new TypeError('terminated'), 2))).toBe(true);
  });

  it("knows undici's TypeErrors, an incomplete stream and Stainless's APIConnectionError", () => {
    expect(isConnectionFailure(new TypeError('terminated'))).toBe(true);
    expect(isConnectionFailure(new TypeError('fetch failed'))).toBe(true);
    expect(isConnectionFailure(new IncompleteStreamError('ended early'))).toBe(true);
    expect(isConnectionFailure(stainless('APIConnectionError'))).toBe(true);
  });

  it('is false for codes and errors that are not about the network', () => {
    expect(isConnectionFailure(coded('rate_limit_exceeded'))).toBe(false);
    expect(isConnectionFailure(new TypeError('x is not a function'))).toBe(false);
    expect(isConnectionFailure(new SyntaxError('Unexpected token'))).toBe(false);
    expect(isConnectionFailure(undefined)).toBe(false);
  });
});

describe('classifyFailure', () => {
  const facts = { provider: 'openai', model: 'gpt-4o', secrets: ['tenant-key-123'] };

  it('makes a malformed answer a retryable server_error, whatever its status', () => {
    for (const status of [200, 400, 429]) {
      const error = classifyFailure({ ...facts, status, message: 'not JSON', malformed: true });
      expect(error).toMatchObject({ code: 'server_error', retryable: true, status });
      expect(error.message).toBe(`openai (gpt-4o) failed with server_error ${status}: not JSON`);
    }
  });

  it('words a malformed answer without a status like the other failures, keys removed', () => {
    const error = classifyFailure({
      ...facts,
      message: 'bad body near tenant-key-123',
      malformed: true,
      providerCode: 'server_error',
    });
    expect(error).toMatchObject({ code: 'server_error', status: undefined, providerCode: 'server_error' });
    expect(error.message).toBe('openai (gpt-4o) failed with server_error: bad body near [REDACTED]');
  });

  it('still calls a failure without a status connection, and one of ours timeout', () => {
    expect(classifyFailure({ ...facts, message: 'reset', connection: true }).code).toBe('connection');
    expect(classifyFailure({ ...facts, message: 'reset' }).code).toBe('connection');
    expect(classifyFailure({ ...facts, message: 'cut', timedOut: true }).code).toBe('timeout');
  });
});

describe('withCode', () => {
  it('recodes a failure, rewording its message and keeping the rest', () => {
    const error = classifyFailure({
      provider: 'anthropic',
      model: 'claude',
      status: 413,
      message: 'too large',
      providerCode: 'request_too_large',
      secrets: [],
    });
    const recoded = withCode(error, 'context_length');
    expect(recoded).toMatchObject({
      code: 'context_length',
      retryable: false,
      status: 413,
      providerCode: 'request_too_large',
      message: 'anthropic (claude) failed with context_length 413: too large',
    });
    expect(withCode(recoded, 'context_length')).toBe(recoded);
    expect(ProviderError.isInstance(recoded)).toBe(true);
  });
});

describe('contextFacts', () => {
  it('keeps the provider, the model when there is one, and the secrets', () => {
    const secrets = ['k'];
    expect(contextFacts({ provider: 'p', model: 'm', secrets, aborted: true })).toEqual({
      provider: 'p',
      model: 'm',
      secrets,
    });
    expect(contextFacts({ provider: 'p', secrets })).toEqual({ provider: 'p', secrets });
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads retry-after as seconds', () => {
    expect(parseRetryAfterMs({ 'retry-after': '3' }, now)).toBe(3000);
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '1.5' }), now)).toBe(1500);
  });

  it('prefers retry-after-ms, in milliseconds', () => {
    expect(parseRetryAfterMs({ 'retry-after-ms': '250', 'retry-after': '3' }, now)).toBe(250);
    expect(parseRetryAfterMs(new Headers({ 'retry-after-ms': '99.6' }), now)).toBe(100);
  });

  it('reads retry-after as an HTTP date, never below zero', () => {
    expect(parseRetryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now)).toBe(5000);
    expect(parseRetryAfterMs({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }, now)).toBe(0);
  });

  it('is undefined when absent or unreadable', () => {
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
    expect(parseRetryAfterMs({}, now)).toBeUndefined();
    expect(parseRetryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfterMs({ 'retry-after-ms': '-5' }, now)).toBeUndefined();
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['174ms', 174],
    ['6s', 6000],
    ['0.5s', 500],
    ['1m30s', 90_000],
    ['6m0s', 360_000],
    ['1h2m3.5s', 3_723_500],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it('is undefined for anything else', () => {
    for (const text of [undefined, '', 'soon', '5', 'ms']) expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe('parseRateLimitResetMs', () => {
  const now = Date.parse('2024-03-26T19:59:58Z');

  it('takes the longest reset of the limits that are exhausted', () => {
    const headers = {
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '2s',
      'x-ratelimit-remaining-tokens': '100',
      'x-ratelimit-reset-tokens': '1m',
    };
    expect(parseRateLimitResetMs(headers, now)).toBe(2000);
  });

  it('takes the longest reset when no limit says it is exhausted', () => {
    expect(
      parseRateLimitResetMs({ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' }, now),
    ).toBe(360_000);
  });

  it('measures an Anthropic reset time from the injected clock when the answer has no date', () => {
    const headers = {
      'anthropic-ratelimit-output-tokens-remaining': '0',
      'anthropic-ratelimit-output-tokens-reset': '2024-03-26T20:00:01Z',
    };
    expect(parseRateLimitResetMs(headers, now)).toBe(3000);
    expect(parseRateLimitResetMs(headers, now + 10_000)).toBe(0);
  });

  it('is undefined without reset headers', () => {
    expect(parseRateLimitResetMs({ 'retry-after': '3' }, now)).toBeUndefined();
  });
});

describe('classifyFailure, codes and hints', () => {
  const base = { provider: 'p', message: 'failed' };

  it('tells a spent quota from a rate limit, on 429, 402 and in a 400 message', () => {
    expect(classifyFailure({ ...base, status: 429, providerCode: 'insufficient_quota' }).code).toBe(
      'quota_exceeded',
    );
    expect(classifyFailure({ ...base, status: 429, providerCode: 'rate_limit_exceeded' }).code).toBe(
      'rate_limited',
    );
    expect(classifyFailure({ ...base, status: 402 })).toMatchObject({
      code: 'quota_exceeded',
      retryable: false,
    });
    expect(
      classifyFailure({
        ...base,
        status: 400,
        message: 'Your credit balance is too low to access the Anthropic API.',
      }).code,
    ).toBe('quota_exceeded');
  });

  it('treats a prompt flagged by the usage policy as content_filter', () => {
    expect(classifyFailure({ ...base, status: 400, providerCode: 'invalid_prompt' }).code).toBe(
      'content_filter',
    );
  });

  it('retries a 409 conflict, as the official SDKs do', () => {
    expect(classifyFailure({ ...base, status: 409 })).toMatchObject({
      code: 'server_error',
      retryable: true,
    });
  });

  it('lets x-should-retry override retryability, but never make a spent quota or a flagged prompt retryable', () => {
    const noRetry = classifyFailure({ ...base, status: 503, headers: { 'x-should-retry': 'false' } });
    expect(noRetry).toMatchObject({ code: 'overloaded', retryable: false });
    const retry = classifyFailure({ ...base, status: 400, headers: { 'x-should-retry': 'true' } });
    expect(retry).toMatchObject({ code: 'bad_request', retryable: true });
    const quota = classifyFailure({
      ...base,
      status: 429,
      providerCode: 'insufficient_quota',
      headers: { 'x-should-retry': 'true' },
    });
    expect(quota.retryable).toBe(false);
    expect(withCode(noRetry, 'server_error').retryable).toBe(false);
  });

  it('reads rate-limit resets only for a 429, and prefers retry-after', () => {
    const headers = { 'x-ratelimit-reset-requests': '2s' };
    expect(classifyFailure({ ...base, status: 429, headers }).retryAfterMs).toBe(2000);
    expect(classifyFailure({ ...base, status: 500, headers }).retryAfterMs).toBeUndefined();
    expect(
      classifyFailure({ ...base, status: 429, headers: { ...headers, 'retry-after': '1' } }).retryAfterMs,
    ).toBe(1000);
  });
});
