import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailProblem } from '../../src/invitations/validation.js';
import { huddleCases, modalCases, rawCases, textCases, type RawCase } from './hostile-corpus.js';
import { HUDDLE_TOKEN, KANTATA_TOKEN, SIGNING_SECRET, sign, startHarness, viewSubmission, type Harness, type SignedResponse } from './harness.js';

/**
 * Hostile and broken input through the real HTTP path. Every case must end in a clear answer or a safe
 * rejection: no crash, no unvalidated upstream call, nothing pinged, no stack trace shown to anyone.
 */
let h: Harness;
const answers: { name: string; response: SignedResponse }[] = [];

beforeAll(async () => {
  h = await startHarness({ env: { INVITE_USER_LIMIT: '100000', INVITE_MAX_PER_REQUEST: '50' } });
  h.slack.addUser({ id: 'U0BOB', email: 'bob@acme.com', realName: '<!channel> Bob' });
  h.slack.addUser({ id: 'U0EVIL', email: 'evil@acme.com', realName: 'Evil\u202e<!here>' });
});

afterAll(async () => {
  await h.close();
});

const STACK_TRACE = /\bat [\w$.<>]+ \(|\bat file:\/\/|node:internal|Error: .*\n\s+at /;

function expectCleanAnswer(name: string, response: SignedResponse): void {
  expect([200, 400, 401, 404, 405, 413, 415], name).toContain(response.status);
  expect(response.text, name).not.toMatch(STACK_TRACE);
  answers.push({ name, response });
}

describe('hostile /invite text', () => {
  it.each(textCases.map((text, index) => [index, text] as const))('case %i', async (index, text) => {
    const response = await h.command(text);
    expectCleanAnswer(`text ${index}`, response);
    expect(response.status).toBe(200);
  });
});

describe('hostile Huddle requests', () => {
  it.each(huddleCases.map((text, index) => [index, text] as const))('case %i', async (index, text) => {
    const response = await h.command(text);
    expectCleanAnswer(`huddle ${index}`, response);
  });
});

describe('hostile modal submissions', () => {
  it.each(modalCases.map((payload, index) => [index, payload] as const))('case %i', async (index, payload) => {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const response = await h.post(new URLSearchParams({ payload: body }).toString());
    expectCleanAnswer(`modal ${index}`, response);
  });

  it('a well-formed submission whose values are all hostile', async () => {
    const hostile = '<!channel> </Message><Addresses>\u0000\u202e' + 'x'.repeat(4000);
    const payload = viewSubmission(
      {
        service: { service: { selected_option: { value: hostile } } },
        workspace: { workspace: { selected_option: { value: hostile } } },
        people: { people: { value: hostile } },
        colleagues: { colleagues: { selected_users: [hostile, 'U0BOB'] } },
        role: { role: { selected_option: { value: hostile } } },
        subject: { subject: { value: hostile } },
        message: { message: { value: hostile } },
        again: { again: { selected_options: [{ value: hostile }] } },
      },
      hostile,
    );
    const response = await h.interaction(payload);
    expectCleanAnswer('modal all-hostile', response);
    expect(response.json?.response_action).toBe('errors');
  });
});

describe('hostile HTTP', () => {
  it.each(rawCases.map((rawCase) => [rawCase.name, rawCase] as const))('%s', async (name, rawCase: RawCase) => {
    const timestamp = rawCase.timestamp ?? Math.floor(Date.now() / 1000);
    const body = rawCase.body ?? h.commandBody('bob@acme.com to huddle:89178');
    const response = await request(rawCase.path ? h.eventsUrl.replace('/slack/events', rawCase.path) : h.eventsUrl, {
      method: rawCase.method ?? 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': sign(body, timestamp, rawCase.secret ?? SIGNING_SECRET),
        ...rawCase.headers,
      },
      ...(rawCase.method === 'GET' || rawCase.method === 'HEAD' ? {} : { body }),
    });
    const text = await response.body.text();
    expectCleanAnswer(name, { status: response.statusCode, text, json: undefined });
    if (rawCase.expectStatus) expect(response.statusCode).toBe(rawCase.expectStatus);
  });

  it('refuses a replayed request', async () => {
    const body = h.commandBody('"Rep Lay" <replay@acme.com> to kantata:12345 as buyer');
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'x-slack-signature': sign(body, timestamp) };
    const first = await h.post(body, headers, timestamp);
    const again = await h.post(body, headers, timestamp);
    expect([first.status, again.status]).toEqual([200, 401]);
    await h.settle();
    expect(h.kantata?.invitations.filter((i) => i.email === 'replay@acme.com')).toHaveLength(1);
  });
});

describe('after the whole corpus', () => {
  it('the corpus has at least 100 cases', () => {
    expect(textCases.length + huddleCases.length + modalCases.length + 1 + rawCases.length + 1).toBeGreaterThanOrEqual(100);
  });

  it('the bot is still up and every queued job finished', async () => {
    await h.settle(20_000);
    const health = await request(`http://127.0.0.1:${h.port}/readyz`);
    expect(health.statusCode).toBe(200);
    await health.body.text();
  });

  it('every upstream call carried only validated addresses', () => {
    for (const invitation of h.kantata?.invitations ?? []) expect(emailProblem(invitation.email), invitation.email).toBeUndefined();
    for (const invitation of h.huddle?.invitations ?? []) for (const address of invitation.addresses) expect(emailProblem(address), address).toBeUndefined();
    // A fake answers 400, 415 or 422 only to a body the real service would refuse: none may reach it.
    const refusedBodies = [...(h.kantata?.server.requests ?? []), ...(h.huddle?.server.requests ?? [])].filter((r) => [400, 415, 422].includes(r.status ?? 0));
    expect(refusedBodies.map((r) => `${r.status} ${r.body.slice(0, 200)}`)).toEqual([]);
    expect(h.kantata?.invitations.length).toBeGreaterThan(0);
    expect(h.huddle?.invitations.length).toBeGreaterThan(0);
  });

  it('nothing anyone saw could ping a channel, and no stack trace was shown', () => {
    // Modal field errors are plain text, which Slack never parses for mentions; everything else is mrkdwn.
    const shown = [
      ...answers.filter((answer) => answer.response.json?.response_action !== 'errors').map((answer) => answer.response.text),
      ...h.slack.calls.filter((call) => call.method.startsWith('chat.') || call.method === 'views.open').map((call) => JSON.stringify({ ...call.args, token: undefined })),
      ...h.slack.responseUrlPosts.map((post) => JSON.stringify(post.body)),
    ].join('\n');
    expect(shown.length).toBeGreaterThan(1000);
    const broadcasts = [...shown.matchAll(/.{0,80}<!(?!date\^)[^>]*>.{0,20}/g)].map((match) => match[0]);
    expect(broadcasts).toEqual([]);
    expect(shown).not.toMatch(STACK_TRACE);
    const fieldErrors = answers.filter((answer) => answer.response.json?.response_action === 'errors').map((answer) => answer.response.text).join('\n');
    expect(fieldErrors).toContain('Pick a workspace from the list');
    expect(fieldErrors).not.toMatch(STACK_TRACE);
  });

  it('no listener or job crashed', () => {
    const crashes = h.log.entries().filter((entry) => ['listener_error', 'job_crashed', 'unhandled_rejection'].includes(String(entry.event)));
    expect(crashes).toEqual([]);
  });

  it('no secret appears in a log line, a Slack call or an upstream request other than its own auth header', () => {
    const secrets = [KANTATA_TOKEN, HUDDLE_TOKEN, SIGNING_SECRET, 'xoxb-test-bot-token-1234'];
    const slackCalls = h.slack.calls.map(({ args: { token: _ownAuth, ...args } }) => JSON.stringify(args));
    const upstream = [...(h.kantata?.server.requests ?? []), ...(h.huddle?.server.requests ?? [])].map(
      ({ headers: { authorization: _ownAuth, ...headers }, body, path }) => JSON.stringify({ headers, body, path }),
    );
    const everything = [...h.log.lines, ...slackCalls, ...upstream, ...h.slack.responseUrlPosts.map((p) => JSON.stringify(p.body))].join('\n');
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
