import { describe, expect, it } from 'vitest';
import { inviteRequestCount, posted, useHarness, type Harness } from './harness.js';

const start = useHarness();

/** What the person was told privately after the ack (the command's response_url). */
const toldPrivately = (h: Harness) => h.slack.responseUrlPosts.map((post) => String(post.body.text));

describe('/invite with a workspace name', () => {
  it('uses the one workspace with that exact title and names it in the summary', async () => {
    const h = await start();
    const response = await h.command('"Bob Smith" <bob@acme.com> to kantata:"Acme Rollout" as buyer');
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    await h.settle();
    expect(h.kantata?.invitations.map((i) => [i.workspaceId, i.email, i.role])).toEqual([['12345', 'bob@acme.com', 'buyer']]);
    expect(toldPrivately(h)[0]).toContain('Inviting 1 person to Kantata OX workspace *<https://app.mavenlink.com/workspaces/12345|Acme Rollout>* (12345)');
    expect(String(posted(h)[0]?.args.text)).toBe('1 of 1 invited to Kantata OX workspace Acme Rollout (12345)');
    // Titles found by the search are reused for the summary: one lookup in all.
    expect(h.kantata?.lookupRequests).toHaveLength(1);
  });

  it('searches every service for a quoted name alone, and takes a curly-quoted single match', async () => {
    const h = await start();
    await h.command('ann@acme.com to “board pack” -- See you there');
    await h.settle();
    expect(h.huddle?.invitations).toEqual([{ workspaceId: '89178', addresses: ['ann@acme.com'], message: 'See you there' }]);
    expect(String(posted(h)[0]?.args.text)).toBe('1 of 1 invited to Huddle workspace Acme Board Pack (89178)');
  });

  it('opens the form with the candidates when the name matches several', async () => {
    const h = await start();
    const response = await h.command('"Bob Smith" <bob@acme.com> to "Acme" as buyer');
    expect(response.text).toBe('');
    await h.waitFor(() => h.slack.callsTo('views.open').length > 0);
    const view = h.slack.callsTo('views.open')[0]?.args.view as { blocks: { block_id: string; element: Record<string, unknown>; hint?: { text: string } }[] };
    const workspace = view.blocks.find((block) => block.block_id === 'workspace');
    expect(workspace?.element.type).toBe('static_select');
    expect((workspace?.element.options as { text: { text: string }; value: string }[]).map((option) => [option.text.text, option.value])).toEqual([
      ['Acme Rollout (12345)', 'kantata:12345'],
      ['Acme Rollout Phase 2 (12346)', 'kantata:12346'],
      ['Acme Board Pack (89178)', 'huddle:89178'],
    ]);
    expect(workspace?.hint?.text).toBe('Several workspaces match “Acme”: pick one.');
    expect(view.blocks.find((block) => block.block_id === 'people')?.element.initial_value).toBe('"Bob Smith" <bob@acme.com>');
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('says privately that no workspace has that name, with the closest ones', async () => {
    const h = await start({ huddle: false });
    await h.command('"Bob Smith" <bob@acme.com> to "Acme Rolout" as buyer');
    await h.waitFor(() => h.slack.responseUrlPosts.length > 0);
    const [told] = h.slack.responseUrlPosts;
    expect(told?.body.response_type).toBe('ephemeral');
    const text = JSON.stringify(told?.body.blocks);
    expect(text).toContain('No Kantata OX workspace that the bot can invite people to is called “Acme Rolout”.');
    expect(text).toContain('Closest names: Kantata OX *<https://app.mavenlink.com/workspaces/12345|Acme Rollout>* (12345), Kantata OX *<https://app.mavenlink.com/workspaces/12346|Acme Rollout Phase 2>* (12346).');
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
    expect(inviteRequestCount(h)).toBe(0);
    expect(h.log.entries().some((entry) => entry.event === 'audit' && entry.reason === 'workspace_not_found')).toBe(true);
  });

  it('never offers a project the bot may not invite to, even by its exact title', async () => {
    const h = await start({ huddle: false });
    await h.command('"Bob Smith" <bob@acme.com> to "Locked Project" as buyer');
    await h.waitFor(() => h.slack.responseUrlPosts.length > 0);
    expect(toldPrivately(h)[0]).toContain('is called “Locked Project”');
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('says so when the search does not answer in time, and sends nothing', async () => {
    const h = await start({ huddle: false, env: { WORKSPACE_SEARCH_TIMEOUT_MS: '200' } });
    if (h.kantata) h.kantata.lookupDelayMs = 1_000;
    const started = Date.now();
    const response = await h.command('"Bob Smith" <bob@acme.com> to "Acme Rollout" as buyer');
    expect(response.status).toBe(200);
    await h.waitFor(() => h.slack.responseUrlPosts.length > 0);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(toldPrivately(h)[0]).toContain('Could not look up “Acme Rollout” in Kantata OX (it did not answer in time).');
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('checks the found workspace against the channel’s restriction before sending', async () => {
    const h = await start({ env: { INVITE_CHANNEL_WORKSPACES: 'C1=kantata:12345', INVITE_RESTRICT_TO_CHANNEL_WORKSPACE: 'true' } });
    await h.command('"Bob Smith" <bob@acme.com> to "Acme Rollout Phase 2" as buyer');
    await h.waitFor(() => h.slack.responseUrlPosts.length > 0);
    expect(toldPrivately(h)[0]).toContain('This channel may only invite to Kantata OX workspace 12345.');
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('still posts the outcome, by id, when the title cannot be looked up in time', async () => {
    const h = await start({ huddle: false, env: { WORKSPACE_SEARCH_TIMEOUT_MS: '100' } });
    if (h.kantata) h.kantata.lookupDelayMs = 400;
    await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    await h.settle();
    expect(h.kantata?.invitations).toHaveLength(1);
    expect(String(posted(h)[0]?.args.text)).toBe('1 of 1 invited to Kantata OX workspace 12345');
    expect(JSON.stringify(posted(h)[0]?.args.blocks)).toContain('workspace *<https://app.mavenlink.com/workspaces/12345|12345>* as');
  });

  it('answers input mistakes at once, before any lookup', async () => {
    const h = await start();
    const response = await h.command('bob@ to "Acme Rollout"');
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
    expect(h.kantata?.lookupRequests).toHaveLength(0);
    expect(h.huddle?.lookupRequests).toHaveLength(0);
  });
});
