import { describe, expect, it } from 'vitest';
import { inspectBody, isSignatureValid, isTimestampAcceptable } from '../../src/slack/receiver.js';
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

describe('inspectBody', () => {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const handled = [
    { type: 'block_suggestion', actionId: 'workspace' },
    { type: 'view_submission', callbackId: 'invite_modal' },
  ] as const;
  const payload = (value: object) => form({ payload: JSON.stringify({ user: { id: 'U1' }, ...value }) });

  it('tells menu searches, interactions and commands apart', () => {
    expect(inspectBody(payload({ type: 'block_suggestion', action_id: 'workspace', value: 'acme' }), ['/invite'], handled)).toEqual({ kind: 'options', suggestion: true });
    expect(inspectBody(payload({ type: 'view_submission', view: { callback_id: 'invite_modal' } }), ['/invite'], handled)).toEqual({ kind: 'interaction', suggestion: false });
    expect(inspectBody(form({ command: '/invite', user_id: 'U1', channel_id: 'C1', team_id: 'T1' }), ['/invite'], handled)).toEqual({ kind: 'command', suggestion: false });
    expect(inspectBody(form({ payload: '{"type":"block_suggestion"}' }), ['/invite'], handled)).toEqual({ kind: 'interaction', suggestion: false, problem: { status: 400, reason: 'payload has no user' } });
  });

  it('marks well-formed interactions that no listener answers', () => {
    const unhandled = [
      payload({ type: 'view_closed', view: { callback_id: 'invite_modal' } }),
      payload({ type: 'view_submission', view: { callback_id: 'another_apps_modal' } }),
      payload({ type: 'block_actions', actions: [{ action_id: 'open_link', type: 'button' }] }),
      payload({ type: 'shortcut', callback_id: 'invite_shortcut' }),
      payload({ type: 'block_suggestion', action_id: 'some_other_menu', value: 'x' }),
    ];
    expect(unhandled.map((body) => inspectBody(body, ['/invite'], handled).unhandled)).toEqual([true, true, true, true, true]);
  });
});

describe('inspectBody: shape problems', () => {
  const bodyShapeProblem = (body: string, commands: string[]) => inspectBody(body, commands).problem;
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
