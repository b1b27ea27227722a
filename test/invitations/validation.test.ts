import { describe, expect, it } from 'vitest';
import type { InvitationDraft } from '../../src/invitations/request.js';
import { emailProblem, parseRole, validateInvitationDraft } from '../../src/invitations/validation.js';

const requestedBy = { userId: 'U1' };
const both = { enabledServices: ['kantata', 'huddle'] as const };

function draft(overrides: Partial<InvitationDraft>): InvitationDraft {
  return { invitees: [], requestedBy, ...overrides };
}

function problems(input: Partial<InvitationDraft>, context: { enabledServices: readonly ('kantata' | 'huddle')[]; maxInvitees?: number } = both) {
  const result = validateInvitationDraft(draft(input), context);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('emailProblem', () => {
  it.each([
    ['bob@acme.com', undefined],
    ['first.last+tag@sub.acme.co.uk', undefined],
    ["o'brien@acme.ie", undefined],
    ['bob@xn--bcher-kva.example', undefined],
    ['', 'empty'],
    ['I-am-not-an-email-address', 'no_at'],
    ['bob@@acme.com', 'several_at'],
    ['a@b@acme.com', 'several_at'],
    ['@acme.com', 'no_local_part'],
    ['bob@localhost', 'bad_domain'],
    ['bob@acme', 'bad_domain'],
    ['bob@-acme.com', 'bad_domain'],
    ['bob@acme..com', 'bad_domain'],
    ['bob@acme.c0m', 'bad_domain'],
    ['bob..smith@acme.com', 'bad_local_part'],
    ['.bob@acme.com', 'bad_local_part'],
    ['bob<x>@acme.com', 'bad_local_part'],
    ['"bob smith"@acme.com', 'whitespace'],
    ['"bob"@acme.com', 'quoted_local_part'],
    ['bob smith@acme.com', 'whitespace'],
    ['böb@acme.com', 'non_ascii'],
    ['bob@bücher.de', 'non_ascii'],
    ['bob@аcme.com', 'non_ascii'],
    [`${'a'.repeat(65)}@acme.com`, 'local_part_too_long'],
    [`bob@${Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.')}.com`, 'too_long'],
  ])('%s → %s', (address, expected) => {
    expect(emailProblem(address)).toBe(expected);
  });
});

describe('parseRole', () => {
  it('accepts the API names and the words people use', () => {
    expect(['maven', 'Consultant', 'team', 'BUYER', 'client', 'owner'].map(parseRole)).toEqual([
      'maven',
      'maven',
      'maven',
      'buyer',
      'buyer',
      undefined,
    ]);
  });
});

describe('validateInvitationDraft', () => {
  it('builds a Kantata request with normalised fields', () => {
    const result = validateInvitationDraft(
      draft({
        service: 'Kantata',
        workspaceId: ' 12345 ',
        role: 'client',
        subject: '  Welcome ',
        message: 'Hello\nthere',
        invitees: [
          { email: 'Bob@ACME.com', fullName: '  Bob   Smith ' },
          { email: 'ann@acme.com', fullName: 'Ann Lee' },
        ],
      }),
      both,
    );
    expect(result).toEqual({
      ok: true,
      request: {
        service: 'kantata',
        workspaceId: '12345',
        role: 'buyer',
        subject: 'Welcome',
        message: 'Hello\nthere',
        requestedBy,
        invitees: [
          { email: 'Bob@acme.com', fullName: 'Bob Smith' },
          { email: 'ann@acme.com', fullName: 'Ann Lee' },
        ],
      },
    });
  });

  it('merges duplicate addresses in any case, keeping a name given only the second time', () => {
    const result = validateInvitationDraft(
      draft({
        service: 'huddle',
        workspaceId: '89178',
        invitees: [{ email: 'bob@acme.com' }, { email: 'BOB@acme.com', fullName: 'Bob' }, { email: 'ann@acme.com' }],
      }),
      both,
    );
    expect(result.ok && result.request.invitees).toEqual([{ email: 'bob@acme.com', fullName: 'Bob' }, { email: 'ann@acme.com' }]);
  });

  it('lists exactly which addresses are invalid and why', () => {
    expect(
      problems({
        service: 'huddle',
        workspaceId: '89178',
        invitees: [{ email: 'ok@acme.com' }, { email: 'I-am-not-an-email-address' }, { email: 'bob@acme' }],
      }),
    ).toEqual([
      {
        field: 'invitees',
        message:
          'These are not valid e-mail addresses: "I-am-not-an-email-address" has no @, "bob@acme" does not end in a valid domain name (like acme.com). Nothing was sent.',
      },
    ]);
  });

  it('asks Kantata requests for a full name per invitee and a role', () => {
    expect(
      problems({ service: 'kantata', workspaceId: '12345', invitees: [{ email: 'bob@acme.com' }, { email: 'ann@acme.com', fullName: 'Ann' }] }),
    ).toEqual([
      {
        field: 'invitees',
        message: 'Kantata OX needs a full name for everyone invited; missing for bob@acme.com. Write each person as "Full Name <address>".',
        missing: true,
      },
      { field: 'role', message: 'Choose a Kantata OX role: maven (your own team, a consultant) or buyer (the client).', missing: true },
    ]);
  });

  it('rejects a role or a subject on a Huddle request instead of dropping them', () => {
    expect(
      problems({ service: 'huddle', workspaceId: '89178', role: 'buyer', subject: 'Hi', invitees: [{ email: 'a@acme.com' }] }),
    ).toEqual([
      { field: 'role', message: 'Huddle invitations have no role, so "buyer" cannot be applied. Remove the role to invite through Huddle.' },
      { field: 'subject', message: 'Huddle invitations have no subject line. Remove the subject, or put its text in the message.' },
    ]);
  });

  it('reports a missing service only when more than one is configured', () => {
    expect(problems({ workspaceId: '1', invitees: [{ email: 'a@acme.com' }] })).toEqual([
      { field: 'service', message: 'Say which service to invite through: kantata or huddle.', missing: true },
    ]);
    const single = validateInvitationDraft(draft({ workspaceId: '1', invitees: [{ email: 'a@acme.com' }] }), {
      enabledServices: ['huddle'],
    });
    expect(single.ok && single.request.service).toBe('huddle');
  });

  it('refuses an unknown or unconfigured service and a non-numeric workspace', () => {
    expect(problems({ service: 'asana', workspaceId: 'abc', invitees: [{ email: 'a@acme.com' }] }, { enabledServices: ['kantata'] })).toEqual([
      { field: 'service', message: '"asana" is not a service this bot knows. Use kantata.' },
      { field: 'workspaceId', message: '"abc" is not a workspace id. An id is a number, for example 12345.' },
    ]);
    expect(problems({ service: 'huddle', workspaceId: '0', invitees: [{ email: 'a@acme.com' }] }, { enabledServices: ['kantata'] })).toEqual([
      { field: 'service', message: 'Huddle is not set up for this bot. Use kantata.' },
      { field: 'workspaceId', message: '"0" is not a workspace id. An id is a number, for example 12345.' },
    ]);
  });

  it('requires at least one invitee and caps how many', () => {
    expect(problems({ service: 'huddle', workspaceId: '1', invitees: [{ email: '  ' }] })).toEqual([
      { field: 'invitees', message: 'Add at least one e-mail address to invite.', missing: true },
    ]);
    const many = Array.from({ length: 6 }, (_, i) => ({ email: `p${i}@acme.com` }));
    expect(problems({ service: 'huddle', workspaceId: '1', invitees: many }, { ...both, maxInvitees: 5 })).toEqual([
      { field: 'invitees', message: 'That is 6 people; one request can invite at most 5. Split it into smaller requests.' },
    ]);
  });

  it('limits subject and message length and refuses control and bidi characters', () => {
    const base = { service: 'kantata', workspaceId: '1', role: 'maven', invitees: [{ email: 'a@acme.com', fullName: 'A' }] };
    expect(problems({ ...base, subject: 'x'.repeat(256), message: 'y'.repeat(5001) })).toEqual([
      { field: 'subject', message: 'The subject is 256 characters long; the limit is 255.' },
      { field: 'message', message: 'The message is 5001 characters long; the limit is 5000.' },
    ]);
    expect(problems({ ...base, subject: 'two\nlines', message: 'nul\u0000byte' })).toEqual([
      { field: 'subject', message: 'The subject must fit on one line.' },
      { field: 'message', message: 'The message contains control or invisible formatting characters; remove them and try again.' },
    ]);
    expect(problems({ ...base, invitees: [{ email: 'a@acme.com', fullName: 'Evil\u202eeman' }] })).toEqual([
      { field: 'invitees', message: 'The name given for a@acme.com contains control or invisible formatting characters.' },
    ]);
  });

  it('cuts long echoed input short', () => {
    const [problem] = problems({ service: 'huddle', workspaceId: '1'.repeat(30) + 'x'.repeat(100), invitees: [{ email: 'a@acme.com' }] });
    expect(problem?.message.length).toBeLessThan(130);
    expect(problem?.message).toContain('…"');
  });
});
