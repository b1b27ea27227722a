import { describe, expect, it } from 'vitest';
import { viewProblems } from '../fakes/block-kit.js';
import { buttonUrl, TestBrowser } from '../fakes/test-browser.js';
import { inviteRequestCount, useHarness, viewSubmission, workspaceSuggestion } from '../slack/harness.js';

const start = useHarness();

describe('connecting from every way in', () => {
  it('replaces a submitted form with the connect button, and sends the form’s request once the person is connected', async () => {
    const h = await start({ linking: { kantata: true, require: true }, huddle: false });
    const answer = await h.interaction(
      viewSubmission(
        {
          workspace: { workspace: { type: 'external_select', selected_option: { value: 'kantata:12345' } } },
          people: { people: { type: 'plain_text_input', value: 'Bob Smith <bob@acme.com>' } },
          role: { role: { type: 'static_select', selected_option: { value: 'buyer' } } },
        },
        JSON.stringify({ channelId: 'C9', userId: 'U1' }),
      ),
    );
    expect(answer.json?.response_action).toBe('update');
    const view = answer.json?.view as Record<string, unknown>;
    expect(viewProblems(view)).toEqual([]);
    expect(view.title).toEqual({ type: 'plain_text', text: 'Connect your account' });
    const url = buttonUrl(view);
    expect(url).toMatch(/\/oauth\/kantata\/start\?nonce=/);
    expect(inviteRequestCount(h)).toBe(0);

    const browser = new TestBrowser();
    const landed = await browser.decide(await browser.open(url ?? ''), 'allow');
    expect(landed.text).toContain('Your invitation is on its way');
    await h.settle();
    expect(h.kantata?.invitations.map((invitation) => [invitation.email, invitation.workspaceId])).toEqual([['bob@acme.com', '12345']]);
    // No response_url in a form: the person is told ephemerally in the channel the form came from.
    const told = h.slack.callsTo('chat.postEphemeral').at(-1);
    expect(told?.args.channel).toBe('C9');
    expect(String(told?.args.text)).toContain('Your Kantata OX account is connected');
  });

  it('says in the form’s workspace menu which service needs connecting first', async () => {
    const h = await start({ linking: { kantata: true, require: true } });
    // Huddle has no linking here, so the form opens; its Kantata OX entry asks to connect.
    const opened = await h.command('');
    expect(opened.text).toBe('');
    await h.waitFor(() => h.slack.callsTo('views.open').length === 1);
    const menu = await h.interaction(workspaceSuggestion(''));
    const groups = menu.json?.option_groups as { label: { text: string }; options: { text: { text: string } }[] }[];
    expect(groups.find((group) => group.label.text === 'Kantata OX')?.options.map((option) => option.text.text)).toEqual(['🔗 Kantata OX: connect your account first (bot’s Home tab)']);
    expect(groups.find((group) => group.label.text === 'Huddle')?.options.length).toBeGreaterThan(0);
  });

  it('answers a bare /invite with one connect button per service when none can be used yet, and opens no form', async () => {
    const linkingOnly = await start({ linking: { kantata: true, huddle: true, require: true } });
    const bare = await linkingOnly.command('');
    expect(String(bare.json?.text)).toContain('Connect your own Kantata OX or Huddle account to invite people');
    const buttons = JSON.stringify(bare.json?.blocks);
    expect(buttons).toContain('Connect Kantata OX');
    expect(buttons).toContain('Connect Huddle');
    expect(linkingOnly.slack.callsTo('views.open')).toEqual([]);
  });

  it('serves the link routes in Socket Mode too, on PORT', async () => {
    const h = await start({ socketMode: true, linking: { kantata: true, require: true }, huddle: false });
    const ack = await h.sendCommand('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer');
    const url = buttonUrl(ack.payload as { blocks?: unknown });
    expect(url).toContain(`${h.publicUrl}/oauth/kantata/start?nonce=`);
    const browser = new TestBrowser();
    const landed = await browser.decide(await browser.open(url ?? ''), 'allow');
    expect(landed.status).toBe(200);
    expect(landed.text).toContain('Connected as Ann Lee in Kantata OX.');
    await h.settle();
    expect(h.kantata?.invitations.map((invitation) => invitation.email)).toEqual(['bob@acme.com']);
  });
});
