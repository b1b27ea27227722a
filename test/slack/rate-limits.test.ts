import { describe, expect, it } from 'vitest';
import { posted, useHarness } from './harness.js';

const start = useHarness();

const elapsedSince = (startedAt: number) => Date.now() - startedAt;

describe('Slack rate limits on one kind of call never hold up the other', () => {
  it('a 429 with Retry-After on an outcome post does not delay the next person’s permission check or form', async () => {
    const h = await start();
    h.slack.addUser({ id: 'U2', email: 'bo@inviter.example', realName: 'Bo Inviter' });
    h.slack.rateLimit('chat.postMessage', 5);
    await h.command('first@acme.com to huddle:89178');
    await h.waitFor(() => h.slack.callsTo('chat.postMessage').some((call) => call.response.error === 'ratelimited'));

    const commandSentAt = Date.now();
    const answer = await h.command('second@acme.com to huddle:89178', { user_id: 'U2' });
    expect(elapsedSince(commandSentAt)).toBeLessThan(1_500);
    expect(String(answer.json?.text)).toContain('Inviting 1 person');

    const formAskedAt = Date.now();
    await h.command('', { user_id: 'U2' });
    await h.waitFor(() => h.slack.callsTo('views.open').some((call) => call.response.ok === true), 1_500);
    expect(elapsedSince(formAskedAt)).toBeLessThan(1_500);
  });

  it('a 429 on a permission check fails fast, and outcome posts go on meanwhile', async () => {
    const h = await start();
    h.slack.addUser({ id: 'U3', email: 'cy@inviter.example', realName: 'Cy Inviter' });
    await h.command('warm@acme.com to huddle:89178');
    await h.settle();
    h.slack.rateLimit('users.info', 30);

    const refusedAt = Date.now();
    const refused = await h.command('third@acme.com to huddle:89178', { user_id: 'U3' });
    expect(elapsedSince(refusedAt)).toBeLessThan(1_000);
    expect(String(refused.json?.text)).toContain('Could not check with Slack whether you may invite people');

    const sentAt = Date.now();
    await h.command('fourth@acme.com to huddle:89178');
    await h.waitFor(() => posted(h).length === 2, 2_000);
    expect(elapsedSince(sentAt)).toBeLessThan(2_000);
    expect(h.huddle?.invitations.map((invitation) => invitation.addresses)).toEqual([['warm@acme.com'], ['fourth@acme.com']]);
  });
});
