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
    finished: !outcomes.some((outcome) => outcome.status === 'pending'),
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
  it('names the role, the team of people already on the project, and who joined, in the project’s own words', () => {
    const teams = { maven: 'Northwind <Agency>', buyer: 'Acme & Co' };
    const summary = renderSummary(
      result([
        { status: 'invited', invitee: { email: 'bob@acme.com', fullName: 'Bob' }, joined: true },
        { status: 'invited', invitee: { email: 'ann@acme.com' } },
        { status: 'skipped', invitee: { email: 'cy@acme.com' }, member: { role: 'maven' } },
      ]),
      'RABCDEF',
      { title: 'Acme Rollout', teams },
    );
    const text = JSON.stringify(summary.blocks);
    expect(text).toContain('invited 2 people to Kantata OX workspace *Acme Rollout* (12345) as *Acme &amp; Co (client)*');
    expect(text).toContain(':white_check_mark: *Bob* (bob@acme.com) · joined');
    expect(text).toContain(':white_check_mark: ann@acme.com\\n');
    expect(text).toContain(':fast_forward: cy@acme.com: already on *Acme Rollout* (Northwind &lt;Agency&gt;), so no e-mail was sent');
    // Without the project's names: the general ones.
    const general = JSON.stringify(renderSummary(result([{ status: 'skipped', invitee: { email: 'cy@acme.com' }, member: { role: 'buyer' } }]), 'RABCDEF').blocks);
    expect(general).toContain('as *Client (buyer)*');
    expect(general).toContain('cy@acme.com: already on *12345* (Client team)');
  });

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

describe('renderSummary while invitations are on their way', () => {
  it('shows how many are done, marks the pending ones, and counts skipped duplicates apart', () => {
    const summary = renderSummary(
      result([
        { status: 'invited', invitee: { email: 'a@acme.com', fullName: 'A' } },
        { status: 'pending', invitee: { email: 'b@acme.com', fullName: 'B' } },
        { status: 'failed', invitee: { email: 'c@acme.com', fullName: 'C' }, error: refused },
        { status: 'skipped', invitee: { email: 'd@acme.com', fullName: 'D' }, previous: { userId: 'U2', at: 1_800_000_000_000 } },
      ]),
      'R234567',
    );
    expect(summary.text).toBe('Inviting 2 of 3 to Kantata OX workspace 12345');
    const text = JSON.stringify(summary.blocks);
    expect(text).toContain(':hourglass_flowing_sand: Inviting 2 of 3 people to Kantata OX workspace *12345* as *Client (buyer)*, for <@U1>');
    expect(text).toContain(':hourglass_flowing_sand: *B* (b@acme.com)');
    expect(text).toContain(':fast_forward: 1 skipped');
    // Failures are explained in the thread once everything is done.
    expect(text).not.toContain('Details of each problem are in the thread');
  });

  it('never counts a skipped duplicate as invited in the final headline', () => {
    const summary = renderSummary(
      result([
        { status: 'invited', invitee: { email: 'a@acme.com', fullName: 'A' } },
        { status: 'skipped', invitee: { email: 'd@acme.com', fullName: 'D' }, previous: { userId: 'U2', at: 1_800_000_000_000 } },
      ]),
      'R234567',
    );
    expect(summary.text).toBe('1 of 1 invited to Kantata OX workspace 12345');
    expect(JSON.stringify(summary.blocks)).toContain('<@U1> invited 1 person to Kantata OX workspace');
    const nobody = renderSummary(result([{ status: 'skipped', invitee: { email: 'd@acme.com' }, previous: { userId: 'U2', at: 1_800_000_000_000 } }]), 'R234567');
    expect(JSON.stringify(nobody.blocks)).toContain('<@U1> invited nobody new to Kantata OX workspace');
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
    expect(replies.map((reply) => reply.message.text)).toEqual([
      ':x: *Refused by the service*: *A* (a@acme.com), *C* (c@acme.com)\nKantata OX refused the invitation (HTTP 422, code validation): "Email address is invalid".\n_ref R234567_',
      ':grey_question: *Service problem*: *D* (d@acme.com)\nKantata OX gave no answer (no answer within 30 s). The invitation may or may not have been sent: check the workspace before trying again.\n_ref R234567_',
    ]);
    for (const reply of replies) expect(messageProblems(reply.message as unknown as Record<string, unknown>)).toEqual([]);
    expect(replies.map((reply) => reply.indices)).toEqual([[0, 2], [3]]);
  });

  it('escapes what the service said', () => {
    const [reply] = renderFailureReplies(
      result([{ status: 'failed', invitee: { email: 'a@acme.com' }, error: { ...refused, serviceMessage: '<!channel> is <b>bad</b> & wrong' } }]),
      'R234567',
    );
    expect(reply?.message.text).toContain('"&lt;!channel&gt; is &lt;b&gt;bad&lt;/b&gt; &amp; wrong"');
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

describe('a request sent as its requester', () => {
  const pending = { status: 'pending' as const, invitee: { email: 'b@acme.com', fullName: 'B' } };
  const forbidden = { kind: 'permission' as const, httpStatus: 403, serviceMessage: 'You are not authorized to invite users to this workspace' };

  it('says whose account sent it, and that it is on hold until they reconnect', () => {
    const held = renderSummary({ ...result([pending]), identity: { kind: 'linked', serviceUserName: 'Ann <Lee>' }, awaitingLink: true }, 'RHELD01');
    const text = JSON.stringify(held.blocks);
    expect(text).toContain(':warning: On hold until <@U1> reconnects their Kantata OX account');
    expect(text).toContain('Sent with *Ann &lt;Lee&gt;*’s own Kantata OX account');
    expect(messageProblems({ ...held })).toEqual([]);
    const shared = renderSummary({ ...result([{ status: 'invited', invitee: { email: 'b@acme.com' } }]), identity: { kind: 'shared' } }, 'RSHARED');
    expect(JSON.stringify(shared.blocks)).toContain('Sent with the bot’s shared Kantata OX account');
    const before = renderSummary(result([{ status: 'invited', invitee: { email: 'b@acme.com' } }]), 'RBEFORE');
    expect(JSON.stringify(before.blocks)).not.toContain('Sent with');
  });

  it('speaks of the requester’s own account and permissions in its problems', () => {
    const outcome = { status: 'failed' as const, invitee: { email: 'b@acme.com' }, error: forbidden };
    const [linked] = renderFailureReplies({ ...result([outcome]), identity: { kind: 'linked' } }, 'RYOU001');
    expect(linked?.message.text).toContain('*Your account lacks permission*');
    expect(linked?.message.text).toContain('Your Kantata OX account is not allowed to invite people to workspace 12345 (HTTP 403)');
    const [bot] = renderFailureReplies(result([outcome]), 'RBOT001');
    expect(bot?.message.text).toContain("The bot's Kantata OX account is not allowed");
  });
});
