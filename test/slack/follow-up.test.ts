import { describe, expect, it } from 'vitest';
import { posted, useHarness, type Harness } from './harness.js';

const start = useHarness();

/** The bot's clock: real time, plus however far a test has moved it on. */
function movableClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
}

const updates = (h: Harness) => h.slack.callsTo('chat.update').filter((call) => call.response.ok);
const lookedAt = (h: Harness) => (h.kantata?.participationRequests ?? []).length;

describe('following up on Kantata invitations', () => {
  it('updates the summary with who joined, once they are on the project', async () => {
    const clock = movableClock();
    const h = await start({ huddle: false, now: clock.now, timings: { followUpPollMs: 20 } });
    await h.command('"Bob Smith" <bob@acme.com>, "Ann Lee" <ann@acme.com> to kantata:12345 as buyer');
    await h.settle();
    const [summary] = posted(h);
    expect(JSON.stringify(summary?.args.blocks)).not.toContain('joined');
    // The sender looked once, before inviting; nobody was on the project then.
    expect(lookedAt(h)).toBe(1);

    // Bob accepts; ten minutes later the follow-up looks.
    h.kantata?.addParticipant('12345', { email: 'bob@acme.com', fullName: 'Bob Smith', role: 'buyer' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lookedAt(h)).toBe(1);
    clock.advance(10 * 60_000);
    await h.waitFor(() => updates(h).length > 0);

    const [update] = updates(h);
    expect(update?.args).toMatchObject({ channel: summary?.response.channel, ts: summary?.response.ts });
    const text = JSON.stringify(update?.args.blocks);
    expect(text).toContain(':white_check_mark: *Bob Smith* (bob@acme.com) · joined');
    expect(text).toContain(':white_check_mark: *Ann Lee* (ann@acme.com)');
    expect(text).not.toContain('(ann@acme.com) · joined');
    expect(text).toContain('invited 2 people to Kantata OX workspace');
    expect(lookedAt(h)).toBe(2);
    // What Slack shows now is what the ledger says, and nothing is left to deliver.
    expect(h.slack.messages.get(`${String(summary?.response.channel)}/${String(summary?.response.ts)}`)?.text).toBe(String(update?.args.text));
    await h.settle();
  });

  it('looks at nothing when INVITE_FOLLOWUP_CALLS_PER_HOUR is 0', async () => {
    const clock = movableClock();
    const h = await start({ huddle: false, now: clock.now, timings: { followUpPollMs: 20 }, env: { INVITE_FOLLOWUP_CALLS_PER_HOUR: '0' } });
    await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle();
    h.kantata?.addParticipant('12345', { email: 'bob@acme.com', fullName: 'Bob Smith', role: 'buyer' });
    clock.advance(10 * 60_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lookedAt(h)).toBe(1);
    expect(updates(h)).toEqual([]);
  });
});
