import { describe, expect, it } from 'vitest';
import { kantataError, type FakeKantataParticipant } from '../fakes/fake-kantata.js';
import { posted, useHarness, type Harness } from './harness.js';

const start = useHarness();

const carol: FakeKantataParticipant = { email: 'carol@acme.com', fullName: 'Carol Day', role: 'buyer' };

/** Addresses Kantata was asked to invite, in the order it was asked. */
const invited = (h: Harness) => (h.kantata?.inviteRequests ?? []).map((request) => (JSON.parse(request.body) as { invitation: { email_address: string } }).invitation.email_address);
const summaryText = (h: Harness) => JSON.stringify(posted(h)[0]?.args.blocks);

describe('people already on the project', () => {
  it('are skipped with their team, in the project’s own words, and never sent an invitation', async () => {
    const h = await start({ huddle: false, kantata: { participants: { '12345': [carol] } } });
    await h.command('"Carol Day" <carol@acme.com>, "Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle();
    expect(invited(h)).toEqual(['bob@acme.com']);
    const summary = summaryText(h);
    expect(summary).toContain(':fast_forward: *Carol Day* (carol@acme.com): already on *Acme Rollout* (Acme Corp), so no e-mail was sent');
    expect(summary).toContain(':white_check_mark: *Bob Smith* (bob@acme.com)');
    // Only Bob was invited: Carol is listed, never counted.
    expect(summary).toContain('invited 1 person to Kantata OX workspace');
    expect(summary).toContain(':white_check_mark: 1 invited   :fast_forward: 1 skipped');
  });

  it.each([
    ['maven', 'Provider team'],
    ['buyer', 'Client team'],
  ] as const)('are named by their side (%s) when the project has no team names of its own', async (role, team) => {
    const h = await start({ huddle: false, kantata: { participants: { '12346': [{ ...carol, role }] } } });
    await h.command(`"Carol Day" <carol@acme.com> to kantata:12346 as ${role}`);
    await h.settle();
    expect(invited(h)).toEqual([]);
    expect(summaryText(h)).toContain(`*Carol Day* (carol@acme.com): already on *Acme Rollout Phase 2* (${team}), so no e-mail was sent`);
  });

  it('are found beyond the first page of a large project', async () => {
    const crowd = Array.from({ length: 250 }, (_, i): FakeKantataParticipant => ({ email: `person${i}@acme.com`, fullName: `Person ${i}`, role: 'buyer' }));
    const h = await start({ huddle: false, kantata: { participants: { '12345': crowd } } });
    await h.command('"Person 230" <person230@acme.com>, "Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle();
    expect(invited(h)).toEqual(['bob@acme.com']);
    const pages = (h.kantata?.participationRequests ?? []).map((request) => new URL(request.path, 'http://x').searchParams);
    // Kantata's largest page is 200: the 231st participant is on the second.
    expect(pages.map((query) => [query.get('workspace_id'), query.get('per_page'), query.get('page')])).toEqual([
      ['12345', '200', '1'],
      ['12345', '200', '2'],
    ]);
    expect(summaryText(h)).toContain('*Person 230* (person230@acme.com): already on *Acme Rollout* (Acme Corp)');
  });

  it('are invited as usual, with nothing said, when Kantata is too slow to tell', async () => {
    const h = await start({ huddle: false, kantata: { participants: { '12345': [carol] } }, timings: { membersTimeoutMs: 200 } });
    if (h.kantata) h.kantata.participationsDelayMs = 1_500;
    await h.command('"Carol Day" <carol@acme.com> to kantata:12345 as buyer');
    await h.settle();
    expect(invited(h)).toEqual(['carol@acme.com']);
    const [lookup] = h.kantata?.participationRequests ?? [];
    const [invite] = h.kantata?.inviteRequests ?? [];
    // The invitation went out after the sender's 200 ms, not after Kantata's 1.5 s answer.
    expect((invite?.receivedAt ?? Infinity) - (lookup?.receivedAt ?? 0)).toBeLessThan(1_200);
    expect(summaryText(h)).not.toContain('already on');
    expect(summaryText(h)).toContain(':white_check_mark: *Carol Day* (carol@acme.com)');
  });

  it('are invited as usual, with nothing said, when the lookup fails', async () => {
    const h = await start({ huddle: false, kantata: { participants: { '12345': [carol] } } });
    h.kantata?.server.respondNextTo(/\/participations/, kantataError(500, 'system', 'Something went wrong'));
    await h.command('"Carol Day" <carol@acme.com> to kantata:12345 as buyer');
    await h.settle();
    expect(h.kantata?.participationRequests.map((request) => request.status)).toEqual([500]);
    expect(invited(h)).toEqual(['carol@acme.com']);
    expect(summaryText(h)).not.toContain('already on');
    expect(h.log.entries().filter((entry) => entry.event === 'participants_lookup_failed')).toHaveLength(1);
  });
});
