import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/providers/errors.js';
import type { UpstreamResponse } from '../../src/providers/http.js';
import { checkHuddleResponse } from '../../src/providers/huddle.js';
import { checkKantataResponse } from '../../src/providers/kantata.js';
import { htmlErrorPage } from '../fakes/fake-server.js';
import { huddleError, huddleTooManyRequests } from '../fakes/fake-huddle.js';
import { kantataError } from '../fakes/fake-kantata.js';

const NOW = Date.parse('2026-11-22T10:00:00Z');

function asResponse(fake: { status: number; body?: string; headers?: Record<string, string> }): UpstreamResponse {
  return { status: fake.status, body: fake.body ?? '', headers: fake.headers ?? {} };
}

function caught(check: () => unknown): ProviderError {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected an error');
}

function summary(error: ProviderError) {
  return {
    name: error.name,
    kind: error.kind,
    status: error.status,
    code: error.code,
    upstreamMessage: error.upstreamMessage,
    retryable: error.retryable,
    mayHaveBeenProcessed: error.mayHaveBeenProcessed,
  };
}

describe('Kantata OX error mapping', () => {
  const kantata = (fake: Parameters<typeof asResponse>[0]) => summary(caught(() => checkKantataResponse(asResponse(fake), NOW)));

  it.each([
    [400, 'InvalidRequestError', 'invalid_request', false, false],
    [401, 'AuthenticationError', 'authentication', false, false],
    [403, 'PermissionError', 'permission', false, false],
    [404, 'NotFoundError', 'not_found', false, false],
    [422, 'InvalidRequestError', 'invalid_request', false, false],
    [429, 'RateLimitError', 'rate_limited', true, false],
    [503, 'ServiceUnavailableError', 'unavailable', true, false],
    [500, 'ServerError', 'server_error', false, true],
  ])('HTTP %i → %s', (status, name, kind, retryable, mayHaveBeenProcessed) => {
    expect(kantata(kantataError(status, 'system', `said ${status}`))).toEqual({
      name,
      kind,
      status,
      code: 'system',
      upstreamMessage: `said ${status}`,
      retryable,
      mayHaveBeenProcessed,
    });
  });

  it('joins several validation messages and names their fields', () => {
    const body = JSON.stringify({
      errors: [
        { type: 'validation', message: 'is invalid', field: 'email_address' },
        { type: 'validation', message: "Full name can't be blank", field: 'full_name' },
      ],
    });
    expect(kantata({ status: 422, body })).toMatchObject({ code: 'validation', upstreamMessage: "email_address: is invalid; Full name can't be blank" });
  });

  it('turns an HTML page into an unexpected response that may have been processed', () => {
    const error = caught(() => checkKantataResponse(asResponse(htmlErrorPage(502)), NOW));
    expect(summary(error)).toMatchObject({ kind: 'unexpected_response', status: 502, mayHaveBeenProcessed: true, retryable: false });
    expect(error.message).toBe('Kantata OX gave an unexpected response (HTTP 502)');
    expect(error.message).not.toContain('<');
  });

  it('keeps the meaning of a 429 or 503 whose body is not JSON, with Retry-After', () => {
    expect(kantata({ status: 429, body: 'slow down', headers: { 'retry-after': '3' } })).toMatchObject({ kind: 'rate_limited', retryable: true });
    expect(caught(() => checkKantataResponse(asResponse({ status: 429, headers: { 'retry-after': '3' } }), NOW)).retryAfterMs).toBe(3000);
    expect(kantata(htmlErrorPage(503, 'Service Unavailable'))).toMatchObject({ kind: 'unavailable', retryable: true });
  });

  it('passes a 2xx through', () => {
    const response = asResponse({ status: 200, body: '{}' });
    expect(checkKantataResponse(response, NOW)).toBe(response);
  });
});

describe('Huddle error mapping', () => {
  const huddle = (fake: Parameters<typeof asResponse>[0]) => summary(caught(() => checkHuddleResponse(asResponse(fake), NOW)));

  it('reads the documented 400 and 403 bodies into code, message and status', () => {
    expect(huddle(huddleError(400, 0, 'I-am-not-an-email-address could not be recognised as an email address'))).toEqual({
      name: 'InvalidRequestError',
      kind: 'invalid_request',
      status: 400,
      code: '0',
      upstreamMessage: 'I-am-not-an-email-address could not be recognised as an email address',
      retryable: false,
      mayHaveBeenProcessed: false,
    });
    expect(huddle(huddleError(403, 1004, 'You are not authorised to call this method'))).toEqual({
      name: 'PermissionError',
      kind: 'permission',
      status: 403,
      code: '1004',
      upstreamMessage: 'You are not authorised to call this method',
      retryable: false,
      mayHaveBeenProcessed: false,
    });
  });

  it.each([
    [401, 'authentication'],
    [404, 'not_found'],
    [422, 'invalid_request'],
    [503, 'unavailable'],
  ])('HTTP %i in a ResponseWrapper → %s', (status, kind) => {
    expect(huddle(huddleError(status, 9, 'msg'))).toMatchObject({ kind, status, code: '9', upstreamMessage: 'msg' });
  });

  it('reads a 429 ErrorResult with its Retry-After', () => {
    const error = caught(() => checkHuddleResponse(asResponse(huddleTooManyRequests(30)), NOW));
    expect(summary(error)).toMatchObject({ kind: 'rate_limited', code: 'TooManyRequests', upstreamMessage: 'Rate limit exceeded', retryable: true });
    expect(error.retryAfterMs).toBe(30_000);
  });

  it('treats a bare 401 as an authentication failure and an HTML page as unexpected', () => {
    expect(huddle({ status: 401 })).toMatchObject({ kind: 'authentication', status: 401 });
    expect(huddle(htmlErrorPage(502))).toMatchObject({ kind: 'unexpected_response', status: 502, mayHaveBeenProcessed: true });
    expect(huddle(htmlErrorPage(404, 'Not Found'))).toMatchObject({ kind: 'unexpected_response', status: 404, mayHaveBeenProcessed: false });
  });
});
