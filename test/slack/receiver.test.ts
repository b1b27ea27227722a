import { describe, expect, it } from 'vitest';
import { bodyShapeProblem, inspectBody, isSignatureValid, isTimestampAcceptable, ReplayGuard } from '../../src/slack/receiver.js';
import { sign } from './harness.js';

describe('isTimestampAcceptable', () => {
  const now = 1_800_000_000_000;
  it('accepts five minutes either way and nothing beyond', () => {
    const seconds = now / 1000;
    expect([seconds - 300, seconds, seconds + 300].map((t) => isTimestampAcceptable(String(t), now))).toEqual([true, true, true]);
    expect([seconds - 301, seconds + 301].map((t) => isTimestampAcceptable(String(t), now))).toEqual([false, false]);
    expect([undefined, '', 'abc', '-1', '1.5', String(now)].map((t) => isTimestampAcceptable(t, now))).toEqual([false, false, false, false, false, false]);
  });
});

describe('isSignatureValid', () => {
  it('checks Slack’s v0 HMAC over timestamp and raw body', () => {
    const body = 'command=%2Finvite&text=hi';
    expect(isSignatureValid('test-signing-secret-5678', '1700000000', Buffer.from(body), sign(body, 1_700_000_000))).toBe(true);
    expect(isSignatureValid('test-signing-secret-5678', '1700000001', Buffer.from(body), sign(body, 1_700_000_000))).toBe(false);
    expect(isSignatureValid('test-signing-secret-5678', '1700000000', Buffer.from(`${body}x`), sign(body, 1_700_000_000))).toBe(false);
    expect(isSignatureValid('test-signing-secret-5678', '1700000000', Buffer.from(body), 'v0=short')).toBe(false);
  });
});

describe('ReplayGuard', () => {
  it('sees a signature once within ten minutes, and forgets it after', () => {
    const guard = new ReplayGuard();
    expect(guard.firstSighting('v0=a', 0)).toBe(true);
    expect(guard.firstSighting('v0=a', 599_000)).toBe(false);
    expect(guard.firstSighting('v0=b', 700_000)).toBe(true);
    expect(guard.firstSighting('v0=a', 700_000)).toBe(true);
  });

  it('stays bounded', () => {
    const guard = new ReplayGuard(3);
    for (const signature of ['1', '2', '3', '4']) guard.firstSighting(signature, 0);
    expect(guard.firstSighting('1', 0)).toBe(true);
    expect(guard.firstSighting('4', 0)).toBe(false);
  });
});

describe('inspectBody', () => {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  it('tells menu searches apart from everything else', () => {
    expect(inspectBody(form({ payload: JSON.stringify({ type: 'block_suggestion', user: { id: 'U1' }, value: 'acme' }) }), ['/invite'])).toEqual({ suggestion: true });
    expect(inspectBody(form({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' } }) }), ['/invite'])).toEqual({ suggestion: false });
    expect(inspectBody(form({ command: '/invite', user_id: 'U1', channel_id: 'C1', team_id: 'T1' }), ['/invite'])).toEqual({ suggestion: false });
    expect(inspectBody(form({ payload: '{"type":"block_suggestion"}' }), ['/invite'])).toEqual({ suggestion: false, problem: { status: 400, reason: 'payload has no user' } });
  });
});

describe('bodyShapeProblem', () => {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  it('passes commands and interactions the app handles', () => {
    expect(bodyShapeProblem(form({ command: '/invite', user_id: 'U1', channel_id: 'C1', team_id: 'T1' }), ['/invite'])).toBeUndefined();
    expect(bodyShapeProblem(form({ payload: JSON.stringify({ type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'x' } }) }), ['/invite'])).toBeUndefined();
    expect(bodyShapeProblem('ssl_check=1', ['/invite'])).toBeUndefined();
  });

  it('refuses everything else with a status and a reason', () => {
    expect(bodyShapeProblem(form({ command: '/other', user_id: 'U1', channel_id: 'C1', team_id: 'T1' }), ['/invite'])).toEqual({ status: 404, reason: 'unknown command' });
    expect(bodyShapeProblem(form({ command: '/invite', user_id: 'U1' }), ['/invite'])).toEqual({ status: 400, reason: 'command without channel_id, team_id' });
    expect(bodyShapeProblem(form({ payload: 'null' }), ['/invite'])).toEqual({ status: 400, reason: 'payload has no type' });
    expect(bodyShapeProblem(form({ payload: '{' }), ['/invite'])).toEqual({ status: 400, reason: 'payload is not JSON' });
    expect(bodyShapeProblem(form({ payload: '{"type":"view_submission","user":{"id":"U1"}}' }), ['/invite'])).toEqual({ status: 400, reason: 'payload has no view' });
    expect(bodyShapeProblem(form({ payload: '{"type":"block_actions"}' }), ['/invite'])).toEqual({ status: 400, reason: 'payload has no user' });
    expect(bodyShapeProblem('a=b', ['/invite'])).toEqual({ status: 400, reason: 'neither a command nor an interaction' });
  });
});
