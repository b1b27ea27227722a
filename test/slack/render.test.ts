import { describe, expect, it } from 'vitest';
import type { InvitationOutcome, InvitationResult } from '../../src/invitations/outcome.js';
import { renderCombined, renderFailureReplies, renderProblems, renderSummary, workspaceMrkdwn } from '../../src/slack/render.js';
import { messageProblems } from '../fakes/block-kit.js';

function result(outcomes: InvitationOutcome[], message?: string): InvitationResult {
  return {
    request: {
      service: 'kantata',
      workspaceId: '12345',
      role: 'buyer',
      invitees: outcomes.map((o) => o.invitee),
      requestedBy: { userId: 'U1' },
      ...(message ? { message } : {}),
    },
    outcomes,
    durationMs: 12,
  };
}

const refused = { kind: 'invalid_request' as const, httpStatus: 422, code: 'validation', serviceMessage: 'Email address is invalid' };

describe('workspaceMrkdwn', () => {
  it('links the title where there is an address, and escapes a title that tries to ping or break the link', () => {
    expect(workspaceMrkdwn('12345', { title: 'Acme Rollout', url: 'https://app.mavenlink.com/workspaces/12345' })).toBe(
      '*<https://app.mavenlink.com/workspaces/12345|Acme Rollout>* (12345)',
    );
    expect(workspaceMrkdwn('89178', { title: 'Board Pack' })).toBe('*Board Pack* (89178)');
    expect(workspaceMrkdwn('89178')).toBe('*89178*');
    expect(workspaceMrkdwn('1', { title: '<!channel> R&D>|x', url: 'https://app.mavenlink.com/workspaces/1' })).toBe(
      '*<https://app.mavenlink.com/workspaces/1|&lt;!channel&gt; R&amp;D&gt;|x>* (1)',
    );
  });

  it('names the workspace in the summary and its notification text', () => {
    const summary = renderSummary(result([{ status: 'invited', invitee: { email: 'a@acme.com', fullName: 'A' } }]), 'RABCDEF', { title: 'Acme <Rollout>' });
    expect(summary.text).toBe('1 of 1 invited to Kantata OX workspace Acme &lt;Rollout&gt; (12345)');
    expect(JSON.stringify(summary.blocks)).toContain('workspace *Acme &lt;Rollout&gt;* (12345)');
  });
});

describe('renderSummary', () => {
  it('lists every invitee of a large request within Block Kit limits', () => {
    const outcomes: InvitationOutcome[] = Array.from({ length: 100 }, (_, i) => ({
      status: i % 3 === 0 ? 'failed' : 'invited',
      invitee: { email: `person${i}@acme.com`, fullName: `${'Long Name '.repeat(19)}${i}` },
      ...(i % 3 === 0 ? { error: refused } : {}),
    }) as InvitationOutcome);
    const summary = renderSummary(result(outcomes, 'Hello there'), 'RABCDEF');
    expect(messageProblems(summary as unknown as Record<string, unknown>)).toEqual([]);
    const text = JSON.stringify(summary.blocks);
    for (let i = 0; i < 100; i += 1) expect(text).toContain(`person${i}@acme.com`);
    expect(text).toContain(':white_check_mark: 66 invited   :x: 34 failed');
    expect(text).toContain('Personal message included (11 characters).');
    expect(text).not.toContain('Hello there');
  });

  it('matches its snapshot', () => {
    expect(
      renderSummary(
        result([
          { status: 'invited', invitee: { email: 'bob@acme.com', fullName: 'Bob Smith' }, invitationId: '1' },
          { status: 'unknown', invitee: { email: 'ann@acme.com', fullName: 'Ann' }, error: { kind: 'no_answer', reason: 'no answer within 30 s' } },
        ]),
        'R234567',
      ),
    ).toMatchSnapshot();
  });
});

describe('renderFailureReplies', () => {
  it('groups invitees that failed for the same reason into one reply', () => {
    const outcomes: InvitationOutcome[] = [
      { status: 'failed', invitee: { email: 'a@acme.com', fullName: 'A' }, error: refused },
      { status: 'invited', invitee: { email: 'b@acme.com', fullName: 'B' } },
      { status: 'failed', invitee: { email: 'c@acme.com', fullName: 'C' }, error: refused },
      { status: 'unknown', invitee: { email: 'd@acme.com', fullName: 'D' }, error: { kind: 'no_answer', reason: 'no answer within 30 s' } },
    ];
    const replies = renderFailureReplies(result(outcomes), 'R234567');
    expect(replies.map((reply) => reply.text)).toEqual([
      ':x: *Refused by the service*: *A* (a@acme.com), *C* (c@acme.com)\nKantata OX refused the invitation (HTTP 422, code validation): "Email address is invalid".\n_ref R234567_',
      ':grey_question: *Service problem*: *D* (d@acme.com)\nKantata OX gave no answer (no answer within 30 s). The invitation may or may not have been sent: check the workspace before trying again.\n_ref R234567_',
    ]);
    for (const reply of replies) expect(messageProblems(reply as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('escapes what the service said', () => {
    const [reply] = renderFailureReplies(
      result([{ status: 'failed', invitee: { email: 'a@acme.com' }, error: { ...refused, serviceMessage: '<!channel> is <b>bad</b> & wrong' } }]),
      'R234567',
    );
    expect(reply?.text).toContain('"&lt;!channel&gt; is &lt;b&gt;bad&lt;/b&gt; &amp; wrong"');
  });
});

describe('renderProblems and renderCombined', () => {
  it('stay within limits for many long problems', () => {
    const problems = Array.from({ length: 80 }, (_, i) => `${i} ${'problem '.repeat(100)}`);
    expect(messageProblems(renderProblems(problems, 'R234567') as unknown as Record<string, unknown>)).toEqual([]);
    const many = Array.from({ length: 60 }, () => renderProblems(['x']));
    expect(messageProblems(renderCombined(renderProblems(['y']), many, 'intro') as unknown as Record<string, unknown>)).toEqual([]);
  });
});
