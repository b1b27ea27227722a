import { describe, expect, it } from 'vitest';
import { DEFAULT_KANTATA_WORKSPACES } from '../fakes/fake-kantata.js';
import { posted, useHarness, workspaceSuggestion, type Harness } from './harness.js';

const start = useHarness();

const summaryText = (h: Harness) => JSON.stringify(posted(h)[0]?.args.blocks);
/** What the person was told privately after an empty ack (the command's response_url). */
const toldPrivately = (h: Harness) => h.slack.responseUrlPosts.map((post) => String(post.body.text));

describe('a Kantata project’s own team names', () => {
  it('name the role in the summary', async () => {
    const h = await start({ huddle: false });
    await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as maven');
    await h.settle();
    expect(summaryText(h)).toContain('(12345) as *Northwind Agency (team member)*');
  });

  it('are escaped in the summary like any other text from upstream', async () => {
    const hostile = { title: 'Evil <!here> Project', canInvite: true, teams: { maven: '<!channel> Agency', buyer: 'Acme & <@U999>' } };
    const h = await start({ huddle: false, kantata: { workspaces: { ...DEFAULT_KANTATA_WORKSPACES, '666': hostile }, participants: { '666': [{ email: 'carol@acme.com', fullName: 'Carol Day', role: 'maven' }] } } });
    await h.command('"Bob Smith" <bob@acme.com>, "Carol Day" <carol@acme.com> to kantata:666 as buyer');
    await h.settle();
    const summary = summaryText(h);
    expect(summary).toContain('as *Acme &amp; &lt;@U999&gt; (client)*');
    expect(summary).toContain('already on *Evil &lt;!here&gt; Project* (&lt;!channel&gt; Agency)');
    expect(summary).not.toMatch(/<!channel>|<!here>|<@U999>/);
  });

  it('name the role in the accepted text once the project is known, without asking Kantata before the ack', async () => {
    const h = await start({ huddle: false });
    // Someone searched the form's menu a moment ago: the directory knows the project and its teams.
    await h.interaction(workspaceSuggestion('acme'));
    const lookups = h.kantata?.lookupRequests.length;
    const response = await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    expect(String(response.json?.text)).toContain('Inviting 1 person to Kantata OX workspace *<https://app.mavenlink.com/workspaces/12345|12345>* as *Acme Corp (client)*');
    expect(h.kantata?.lookupRequests.length).toBe(lookups);
  });

  it('are not waited for in the accepted text: an unknown project gets the general role names', async () => {
    const h = await start({ huddle: false });
    const response = await h.command('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    expect(String(response.json?.text)).toContain('Inviting 1 person to Kantata OX workspace *<https://app.mavenlink.com/workspaces/12345|12345>* as *Client (buyer)*');
    expect(h.kantata?.lookupRequests).toEqual([]);
  });

  it('name the role in the accepted text for a project found by name', async () => {
    const h = await start({ huddle: false });
    await h.command('"Bob Smith" <bob@acme.com> to kantata:"Acme Rollout" as maven');
    await h.waitFor(() => toldPrivately(h).length > 0);
    expect(toldPrivately(h)[0]).toContain('(12345) as *Northwind Agency (team member)*');
  });

  it('label the roles of a form opened on a known project', async () => {
    const h = await start({ huddle: false });
    // No role given: the form opens, on this project, for the rest.
    await h.command('"Bob Smith" <bob@acme.com> to kantata:12345');
    await h.waitFor(() => h.slack.callsTo('views.open').length > 0);
    const view = h.slack.callsTo('views.open')[0]?.args.view as { blocks: { block_id: string; element: { options?: { text: { text: string }; value: string }[]; initial_option?: { text: { text: string } } } }[] };
    const role = view.blocks.find((block) => block.block_id === 'role');
    expect(role?.element.options?.map((option) => [option.text.text, option.value])).toEqual([
      ['Acme Corp (client)', 'buyer'],
      ['Northwind Agency (team member)', 'maven'],
    ]);
    const workspace = view.blocks.find((block) => block.block_id === 'workspace');
    expect(workspace?.element.initial_option?.text.text).toBe('Acme Rollout (12345)');
  });
});
