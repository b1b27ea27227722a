import { describe, expect, it } from 'vitest';
import type { OutcomeError, ProblemOutcome } from '../src/invitations/outcome.js';
import { failureText, helpText, quoted, slackText } from '../src/messages.js';
import { slackDateTime } from '../src/slack/mrkdwn.js';
import { rawControlCharacters } from './fakes/mrkdwn.js';

const invitee = { email: 'bob@acme.com' };
const failed = (error: OutcomeError): ProblemOutcome => ({ status: 'failed', invitee, error });
const unknown = (error: OutcomeError): ProblemOutcome => ({ status: 'unknown', invitee, error });

describe('failureText', () => {
  it.each([
    [
      'kantata 400',
      failed({ kind: 'invalid_request', httpStatus: 400, code: 'system', serviceMessage: 'param is missing: invitation' }),
      'Kantata OX refused the invitation (HTTP 400, code system): "param is missing: invitation".',
    ],
    [
      'kantata 401',
      failed({ kind: 'authentication', httpStatus: 401, code: 'oauth', serviceMessage: 'Invalid OAuth 2 Request' }),
      'Kantata OX did not accept the bot\'s credentials (HTTP 401, code oauth): "Invalid OAuth 2 Request". An administrator needs to check the bot\'s Kantata OX credentials.',
    ],
    [
      'kantata 403',
      failed({ kind: 'permission', httpStatus: 403, code: 'system', serviceMessage: 'You are not authorized' }),
      'The bot\'s Kantata OX account is not allowed to invite people to workspace 12345 (HTTP 403, code system): "You are not authorized". A workspace manager can grant that, or invite from Kantata OX directly.',
    ],
    [
      'kantata 404',
      failed({ kind: 'not_found', httpStatus: 404, code: 'system', serviceMessage: 'Workspace 12345 could not be found' }),
      'Kantata OX has no workspace 12345 that the bot\'s account can see (HTTP 404, code system): "Workspace 12345 could not be found". Check the id.',
    ],
    [
      'kantata 422',
      failed({ kind: 'invalid_request', httpStatus: 422, code: 'validation', serviceMessage: 'Email address is invalid' }),
      'Kantata OX refused the invitation (HTTP 422, code validation): "Email address is invalid".',
    ],
    [
      'kantata 429',
      failed({ kind: 'rate_limited', httpStatus: 429, code: 'system', serviceMessage: 'Too many requests' }),
      'Kantata OX kept rate limiting the bot (HTTP 429, code system), so the invitation was not sent. Try again in a few minutes.',
    ],
    [
      'kantata 503',
      failed({ kind: 'unavailable', httpStatus: 503, code: 'system', serviceMessage: 'Down for maintenance' }),
      'Kantata OX is unavailable (HTTP 503, code system): "Down for maintenance". The invitation was not sent; try again later.',
    ],
    [
      'kantata 502 html',
      unknown({ kind: 'unexpected_response', httpStatus: 502 }),
      'Kantata OX gave an unexpected response (HTTP 502). The invitation may or may not have been sent: check the workspace before trying again.',
    ],
    [
      'kantata timeout',
      unknown({ kind: 'no_answer', reason: 'no answer within 30 s' }),
      'Kantata OX gave no answer (no answer within 30 s). The invitation may or may not have been sent: check the workspace before trying again.',
    ],
    [
      'kantata refused',
      failed({ kind: 'connection', reason: 'connection refused' }),
      'Could not reach Kantata OX (connection refused). The invitation was not sent.',
    ],
  ])('%s', (_, outcome, text) => {
    expect(failureText('kantata', '12345', outcome)).toBe(text);
  });

  it.each([
    [
      'huddle 400',
      failed({ kind: 'invalid_request', httpStatus: 400, code: '0', serviceMessage: 'I-am-not-an-email-address could not be recognised as an email address' }),
      'Huddle refused the invitation (HTTP 400, code 0): "I-am-not-an-email-address could not be recognised as an email address".',
    ],
    [
      'huddle 403',
      failed({ kind: 'permission', httpStatus: 403, code: '1004', serviceMessage: 'You are not authorised to call this method' }),
      'The bot\'s Huddle account is not allowed to invite people to workspace 89178 (HTTP 403, code 1004): "You are not authorised to call this method". A workspace manager can grant that, or invite from Huddle directly.',
    ],
    [
      'huddle 429 with Retry-After',
      failed({ kind: 'rate_limited', httpStatus: 429, code: 'TooManyRequests', retryAfterMs: 300_000 }),
      'Huddle kept rate limiting the bot (HTTP 429, code TooManyRequests), so the invitation was not sent. Huddle asked to wait 5 minutes.',
    ],
    [
      'huddle 500',
      unknown({ kind: 'server_error', httpStatus: 500, code: '0', serviceMessage: 'Oops' }),
      'Huddle failed while handling the invitation (HTTP 500, code 0): "Oops". The invitation may or may not have been sent: check the workspace before trying again.',
    ],
  ])('%s', (_, outcome, text) => {
    expect(failureText('huddle', '89178', outcome)).toBe(text);
  });
});

describe('quoted', () => {
  it('quotes, flattens whitespace and cuts at 60 characters', () => {
    expect(quoted('a\n b')).toBe('"a b"');
    const long = quoted('x'.repeat(100));
    expect([...long]).toHaveLength(62);
    expect(long.endsWith('…"')).toBe(true);
  });
});

describe('mrkdwn texts', () => {
  it('escape <, > and & in help and hints, where Slack would read them as controls', () => {
    const texts = [
      helpText(['kantata']),
      helpText(['huddle']),
      helpText(['kantata', 'huddle']),
      slackText.unparseable(['`x`']),
      slackText.usageHint(),
      slackText.workspaceLookupFailed('Acme', 'Kantata OX', true),
      slackText.workspaceAmbiguous('Acme', []),
      slackText.againHint(),
    ];
    expect(texts.map(rawControlCharacters)).toEqual(texts.map(() => []));
    expect(helpText(['kantata'])).toContain('`Bob Smith &lt;bob@acme.com&gt;`');
    expect(helpText(['kantata'])).toContain('`to kantata:&lt;workspace id&gt;`');
  });

  it('the checker itself catches a raw control character and lets Slack’s own controls through', () => {
    expect(rawControlCharacters('write <bob@acme.com> & go')).toEqual(['<', '>', '&']);
    expect(rawControlCharacters('<@U1> <#C1> <https://a.example/x|A &amp; B> &lt;b&gt; <!date^1^{date_short_pretty} at {time}|x>')).toEqual([]);
  });

  it('show a moment with its day, for windows that may span days', () => {
    const moment = Date.UTC(2026, 10, 12, 10, 42);
    expect(slackDateTime(moment)).toBe(`<!date^${moment / 1000}^{date_short_pretty} at {time}|2026-11-12 10:42 UTC>`);
    expect(slackText.skippedLine('bob@acme.com', '<@U1>', slackDateTime(moment))).toBe(
      `bob@acme.com: already invited by <@U1> <!date^${moment / 1000}^{date_short_pretty} at {time}|2026-11-12 10:42 UTC>`,
    );
  });
});
