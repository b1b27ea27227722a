import { describe, expect, it } from 'vitest';
import { formatPeople, parseInviteCommand, type ParsedInvite } from '../../src/slack/inline-command.js';

function invite(text: string): ParsedInvite {
  const parsed = parseInviteCommand(text);
  if (parsed.kind !== 'invite') throw new Error(`expected an invite, got ${parsed.kind}`);
  return parsed.invite;
}

describe('parseInviteCommand', () => {
  it('recognises empty text and help', () => {
    expect(parseInviteCommand('   ')).toEqual({ kind: 'empty' });
    expect(parseInviteCommand('help')).toEqual({ kind: 'help' });
    expect(parseInviteCommand(' HELP ')).toEqual({ kind: 'help' });
  });

  it('parses the full example as typed', () => {
    expect(invite('"Bob Smith" <bob@acme.com>, ann@acme.com to kantata:12345 as buyer -- Welcome!')).toEqual({
      people: [
        { kind: 'address', email: 'bob@acme.com', fullName: 'Bob Smith' },
        { kind: 'address', email: 'ann@acme.com' },
      ],
      unparseable: [],
      notPeople: [],
      again: false,
      service: 'kantata',
      workspaceId: '12345',
      role: 'buyer',
      message: 'Welcome!',
    });
  });

  it('parses the same request as Slack escapes it', () => {
    const escaped = '"Bob Smith" &lt;<mailto:bob@acme.com|bob@acme.com>&gt;, <mailto:ann@acme.com|ann@acme.com> to kantata:12345 as buyer -- Welcome &amp; hello';
    expect(invite(escaped)).toMatchObject({
      people: [
        { kind: 'address', email: 'bob@acme.com', fullName: 'Bob Smith' },
        { kind: 'address', email: 'ann@acme.com' },
      ],
      service: 'kantata',
      workspaceId: '12345',
      role: 'buyer',
      message: 'Welcome & hello',
    });
  });

  it('accepts curly quotes, unquoted names and a dash made of --', () => {
    expect(invite('“Bob Smith” <bob@acme.com> Ann Lee <ann@acme.com> to huddle:89178 — Join us').people).toEqual([
      { kind: 'address', email: 'bob@acme.com', fullName: 'Bob Smith' },
      { kind: 'address', email: 'ann@acme.com', fullName: 'Ann Lee' },
    ]);
    expect(invite('“Bob Smith” <bob@acme.com> to huddle:89178 — Join us').message).toBe('Join us');
  });

  it('reads user mentions with and without labels', () => {
    expect(invite('<@U012ABC>, <@W0XYZ|bob> and carol@acme.com to kantata:1 as maven')).toMatchObject({
      people: [
        { kind: 'mention', userId: 'U012ABC' },
        { kind: 'mention', userId: 'W0XYZ' },
        { kind: 'address', email: 'carol@acme.com' },
      ],
      unparseable: ['and'],
    });
  });

  it('sets aside channels, user groups and broadcasts', () => {
    expect(invite('<!channel> <#C123|general> <!subteam^S1|@devs> <!here> a@acme.com to 5').notPeople).toEqual([
      '@channel',
      '#general',
      '@devs',
      '@here',
    ]);
  });

  it('writes broadcasts, user groups and channels in the message out by name, and refuses nothing for them', () => {
    const parsed = invite('a@acme.com to huddle:5 -- Hi <!here> and <!subteam^S1|@devs>, see <#C123|general> &amp; <https://acme.com/start|the start page>');
    expect(parsed.notPeople).toEqual([]);
    expect(parsed.message).toBe('Hi @here and @devs, see #general & the start page');
  });

  it('finds the message separator outside Slack’s tokens', () => {
    const parsed = invite('<mailto:a@acme.com|a -- b> to huddle:5 -- Welcome');
    expect(parsed.people).toEqual([{ kind: 'address', email: 'a@acme.com' }]);
    expect(parsed.message).toBe('Welcome');
  });

  it('reports words that are not addresses instead of guessing', () => {
    expect(invite('I-am-not-an-email-address, bob@acme.com to huddle:1')).toMatchObject({
      people: [{ kind: 'address', email: 'bob@acme.com' }],
      unparseable: ['I-am-not-an-email-address'],
    });
  });

  it('keeps invalid-looking addresses for validation to explain', () => {
    expect(invite('bob@acme to huddle:1').people).toEqual([{ kind: 'address', email: 'bob@acme' }]);
  });

  it('takes the target in its different forms', () => {
    expect(invite('a@acme.com to 12345')).toMatchObject({ workspaceId: '12345' });
    expect(invite('a@acme.com to kantata 12345')).toMatchObject({ service: 'kantata', workspaceId: '12345' });
    expect(invite('a@acme.com to Huddle: 89178')).toMatchObject({ service: 'Huddle', workspaceId: '89178' });
    expect(invite('a@acme.com to kantata')).toMatchObject({ service: 'kantata' });
    expect(invite('a@acme.com to kantata').workspaceId).toBeUndefined();
    expect(invite('a@acme.com to asana:7')).toMatchObject({ service: 'asana', workspaceId: '7' });
    expect(invite('a@acme.com as client to kantata:7')).toMatchObject({ role: 'client', workspaceId: '7' });
    expect(invite('a@acme.com to kantata:7 as a consultant')).toMatchObject({ role: 'consultant', workspaceId: '7' });
  });

  it('takes a workspace by name, quoted straight or curly, with or without a service', () => {
    const named = (text: string) => {
      const { service, workspaceId, workspaceName, role, people } = invite(text);
      return { service, workspaceId, workspaceName, role, people: people.length };
    };
    expect(named('a@acme.com to kantata:"Acme Rollout" as buyer')).toEqual({ service: 'kantata', workspaceId: undefined, workspaceName: 'Acme Rollout', role: 'buyer', people: 1 });
    expect(named('a@acme.com to “Acme  Rollout”')).toEqual({ service: undefined, workspaceId: undefined, workspaceName: 'Acme Rollout', role: undefined, people: 1 });
    expect(named('a@acme.com as maven to huddle „Board Pack“')).toEqual({ service: 'huddle', workspaceId: undefined, workspaceName: 'Board Pack', role: 'maven', people: 1 });
    expect(named('a@acme.com to kantata:acme')).toMatchObject({ service: 'kantata', workspaceName: 'acme' });
    expect(named('a@acme.com to "R&amp;D Lab" -- hi')).toMatchObject({ workspaceName: 'R&D Lab' });
    expect(named('a@acme.com to "12345"')).toMatchObject({ workspaceId: '12345', workspaceName: undefined });
    expect(named('a@acme.com to ""')).toMatchObject({ workspaceId: undefined, workspaceName: undefined });
  });

  it('leaves the target out when there is none', () => {
    const parsed = invite('"Bob" <bob@acme.com> as buyer');
    expect(parsed).toEqual({
      people: [{ kind: 'address', email: 'bob@acme.com', fullName: 'Bob' }],
      unparseable: [],
      notPeople: [],
      again: false,
      role: 'buyer',
    });
  });

  it('keeps markup in the message as text and restores mentions', () => {
    expect(invite('a@acme.com to 1 -- Hi &lt;b&gt; from <@U0123>').message).toBe('Hi <b> from <@U0123>');
  });

  it('does not treat an e-mail containing "to" as the target keyword', () => {
    expect(invite('to@acme.com, tom@acme.com to huddle:1').people).toEqual([
      { kind: 'address', email: 'to@acme.com' },
      { kind: 'address', email: 'tom@acme.com' },
    ]);
  });
});

describe('--again', () => {
  it('is a flag before the message, not part of it', () => {
    expect(invite('bob@acme.com --again to huddle:1 -- see you --again')).toMatchObject({
      again: true,
      people: [{ kind: 'address', email: 'bob@acme.com' }],
      workspaceId: '1',
      message: 'see you --again',
    });
    expect(invite('bob@acme.com to huddle:1 —again').again).toBe(true);
    expect(invite('bob@acme.com to huddle:1 -- --again').again).toBe(false);
  });
});

describe('formatPeople', () => {
  it('writes addresses back in the inline syntax, leaving mentions to the user picker', () => {
    expect(
      formatPeople([
        { kind: 'address', email: 'bob@acme.com', fullName: 'Bob "B" Smith' },
        { kind: 'mention', userId: 'U1' },
        { kind: 'address', email: 'ann@acme.com' },
      ]),
    ).toBe(`"Bob 'B' Smith" <bob@acme.com>, ann@acme.com`);
  });
});
