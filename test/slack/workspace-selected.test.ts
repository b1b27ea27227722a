import { describe, expect, it } from 'vitest';
import { DEFAULT_KANTATA_WORKSPACES } from '../fakes/fake-kantata.js';
import { useHarness, type Harness } from './harness.js';

const start = useHarness();

type Block = { block_id?: string; type: string; element?: { action_id?: string; type?: string; options?: { text: { text: string }; value: string }[] } };
type View = { blocks: Block[]; callback_id: string; private_metadata: string; title: unknown; submit?: unknown; close?: unknown };

/** The form the bot opened, as the fake Slack holds it now, with its id and current hash. */
function openForm(h: Harness, id = 'V1'): { id: string; hash: string; view: View } {
  const stored = h.slack.views.get(id);
  if (!stored) throw new Error(`no view ${id}`);
  return { id, hash: stored.hash, view: stored.view as unknown as View };
}

/** What Slack sends when someone picks `value` in the form's workspace menu (dispatch_action). */
function workspacePicked(form: { id: string; hash: string; view: View }, value: string, text: string) {
  const selected = { text: { type: 'plain_text', text, emoji: true }, value };
  return {
    type: 'block_actions',
    user: { id: 'U1', username: 'ann', name: 'ann', team_id: 'T1' },
    api_app_id: 'A1',
    token: 'deprecated-verification-token',
    container: { type: 'view', view_id: form.id },
    trigger_id: 'trigger-action',
    team: { id: 'T1', domain: 'acme' },
    is_enterprise_install: false,
    view: {
      ...form.view,
      id: form.id,
      team_id: 'T1',
      type: 'modal',
      hash: form.hash,
      // What the person typed so far: Slack keeps it across views.update when ids are unchanged.
      state: { values: { workspace: { workspace: { type: 'external_select', selected_option: selected } }, people: { people: { type: 'plain_text_input', value: '"Bob Smith" <bob@acme.com>' } } } },
      previous_view_id: null,
      root_view_id: form.id,
      clear_on_close: false,
      notify_on_close: false,
      app_id: 'A1',
      bot_id: 'BBOT',
    },
    actions: [{ type: 'external_select', action_id: 'workspace', block_id: 'workspace', selected_option: selected, action_ts: '1700000000.000100' }],
  };
}

const roleTexts = (view: View) => view.blocks.find((block) => block.block_id === 'role')?.element?.options?.map((option) => option.text.text);
const ids = (view: View) => view.blocks.map((block) => [block.block_id, block.element?.action_id, block.element?.type]);

async function openBlankForm(h: Harness) {
  await h.command('');
  await h.waitFor(() => h.slack.views.size > 0);
  return openForm(h);
}

describe('choosing a workspace in the form', () => {
  it('labels the roles with the chosen project’s team names, keeping every field as it was', async () => {
    const h = await start({ huddle: false });
    const form = await openBlankForm(h);
    expect(roleTexts(form.view)).toEqual(['Client (buyer)', 'Team member (maven)']);
    const workspaceBlock = form.view.blocks.find((block) => block.block_id === 'workspace') as Block & { dispatch_action?: boolean };
    expect(workspaceBlock.dispatch_action).toBe(true);

    const response = await h.interaction(workspacePicked(form, 'kantata:12345', 'Acme Rollout (12345)'));
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    await h.waitFor(() => h.slack.callsTo('views.update').length > 0);
    const [update] = h.slack.callsTo('views.update');
    expect(update?.response.ok).toBe(true);
    expect(update?.args).toMatchObject({ view_id: 'V1', hash: form.hash });
    const updated = openForm(h).view;
    expect(roleTexts(updated)).toEqual(['Acme Corp (client)', 'Northwind Agency (team member)']);
    // Same blocks, same ids, same element types: Slack keeps the chosen workspace and the typed people.
    expect(ids(updated)).toEqual(ids(form.view));
    expect(updated.private_metadata).toBe(form.view.private_metadata);
    expect(updated.callback_id).toBe('invite_modal');
  });

  it('goes back to the general labels for a project without team names of its own', async () => {
    const h = await start({ huddle: false });
    const form = await openBlankForm(h);
    await h.interaction(workspacePicked(form, 'kantata:12345', 'Acme Rollout (12345)'));
    await h.waitFor(() => h.slack.callsTo('views.update').length === 1);
    await h.interaction(workspacePicked(openForm(h), 'kantata:12346', 'Acme Rollout Phase 2 (12346)'));
    await h.waitFor(() => h.slack.callsTo('views.update').length === 2);
    expect(h.slack.callsTo('views.update').map((call) => call.response.ok)).toEqual([true, true]);
    expect(roleTexts(openForm(h).view)).toEqual(['Client (buyer)', 'Team member (maven)']);
  });

  it('leaves the form alone when its labels already fit, and asks Kantata nothing for a Huddle workspace', async () => {
    const h = await start();
    const form = await openBlankForm(h);
    const lookups = h.kantata?.lookupRequests.length;
    await h.interaction(workspacePicked(form, 'huddle:89178', 'Acme Board Pack (89178)'));
    await h.interaction(workspacePicked(form, 'kantata:12346', 'Acme Rollout Phase 2 (12346)'));
    await h.waitFor(() => h.kantata?.lookupRequests.length === (lookups ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.kantata?.lookupRequests.map((request) => request.path)).toEqual(['/api/v1/workspaces/12346']);
    expect(h.slack.callsTo('views.update')).toEqual([]);
  });

  it('answers Slack at once, before Kantata names the teams', async () => {
    const h = await start({ huddle: false });
    const form = await openBlankForm(h);
    if (h.kantata) h.kantata.lookupDelayMs = 1_000;
    const startedAt = Date.now();
    const response = await h.interaction(workspacePicked(form, 'kantata:12345', 'Acme Rollout (12345)'));
    expect(response.status).toBe(200);
    expect(Date.now() - startedAt).toBeLessThan(700);
    expect(h.slack.callsTo('views.update')).toEqual([]);
    await h.waitFor(() => h.slack.callsTo('views.update').length > 0, 3_000);
    expect(roleTexts(openForm(h).view)).toEqual(['Acme Corp (client)', 'Northwind Agency (team member)']);
  });

  it('drops an answer to an older choice when the form changed since (Slack refuses its hash)', async () => {
    const globex = { title: 'Globex Launch', canInvite: true, teams: { maven: 'Northwind Agency', buyer: 'Globex' } };
    const h = await start({ huddle: false, kantata: { workspaces: { ...DEFAULT_KANTATA_WORKSPACES, '12347': globex } } });
    const form = await openBlankForm(h);
    await h.interaction(workspacePicked(form, 'kantata:12345', 'Acme Rollout (12345)'));
    await h.waitFor(() => h.slack.callsTo('views.update').length === 1);
    // A choice made before that update landed still carries the old view and its hash.
    await h.interaction(workspacePicked(form, 'kantata:12347', 'Globex Launch (12347)'));
    await h.waitFor(() => h.slack.callsTo('views.update').length === 2);
    expect(h.slack.callsTo('views.update').map((call) => call.response.error ?? 'ok')).toEqual(['ok', 'hash_conflict']);
    expect(roleTexts(openForm(h).view)).toEqual(['Acme Corp (client)', 'Northwind Agency (team member)']);
    expect(h.log.entries().filter((entry) => entry.event === 'form_update_failed').map((entry) => entry.slackError)).toEqual(['hash_conflict']);
  });
});
