import { describe, expect, it } from 'vitest';
import type { Workspace } from '../../../src/invitations/workspaces.js';
import {
  buildInviteModal,
  buildWorkspaceOptions,
  decodeMetadata,
  encodeMetadata,
  parseWorkspaceChoice,
  readInviteModal,
  relabelRoles,
  type OpenView,
} from '../../../src/slack/views/invite-modal.js';
import { optionsAnswerProblems, viewProblems } from '../../fakes/block-kit.js';

const metadata = { channelId: 'C1', userId: 'U1', teamId: 'T1', responseUrl: 'https://hooks.slack.com/commands/T1/1/abc' };
const blockIds = (view: ReturnType<typeof buildInviteModal>) => view.blocks.map((block) => block.block_id);

describe('buildInviteModal', () => {
  it('shows the service and Kantata-only fields only where they apply', () => {
    expect(blockIds(buildInviteModal(['kantata', 'huddle'], {}, metadata))).toEqual(['service', 'workspace', 'people', 'colleagues', 'role', 'subject', 'message', 'again']);
    expect(blockIds(buildInviteModal(['kantata'], {}, metadata))).toEqual(['workspace', 'people', 'colleagues', 'role', 'subject', 'message', 'again']);
    expect(blockIds(buildInviteModal(['huddle'], {}, metadata))).toEqual(['workspace', 'people', 'colleagues', 'message', 'again']);
  });

  it('labels roles in plain language', () => {
    const view = buildInviteModal(['kantata'], { role: 'buyer' }, metadata);
    const role = view.blocks.find((block) => block.block_id === 'role') as { element: { options: { text: { text: string } }[]; initial_option: { value: string } } };
    expect(role.element.options.map((option) => option.text.text)).toEqual(['Client (buyer)', 'Team member (maven)']);
    expect(role.element.initial_option.value).toBe('buyer');
  });

  it('labels roles with the team names of the project it opens on', () => {
    const teams = { maven: 'Northwind Agency', buyer: 'Acme Corp' };
    const view = buildInviteModal(['kantata'], { role: 'maven', workspace: { service: 'kantata', id: '12345', title: 'Acme Rollout', teams } }, metadata);
    const role = view.blocks.find((block) => block.block_id === 'role') as { element: { options: { text: { text: string } }[]; initial_option: { text: { text: string }; value: string } } };
    expect(role.element.options.map((option) => option.text.text)).toEqual(['Acme Corp (client)', 'Northwind Agency (team member)']);
    expect(role.element.initial_option).toEqual({ text: { type: 'plain_text', text: 'Northwind Agency (team member)', emoji: true }, value: 'maven' });
  });

  it('stays within Block Kit limits whatever it is prefilled with', () => {
    const huge = 'x'.repeat(10_000);
    const view = buildInviteModal(
      ['kantata', 'huddle'],
      { service: 'kantata', workspace: { service: 'kantata', id: '9'.repeat(18), title: huge }, peopleText: huge, colleagueIds: Array.from({ length: 150 }, (_, i) => `U${i}`), subject: huge, message: huge },
      { ...metadata, responseUrl: `https://hooks.slack.com/${'a'.repeat(4000)}` },
    );
    expect(viewProblems(view as unknown as Record<string, unknown>)).toEqual([]);
    expect(decodeMetadata(view.private_metadata)).toEqual({ channelId: 'C1', userId: 'U1', teamId: 'T1' });
  });

  it('round-trips its metadata', () => {
    expect(decodeMetadata(encodeMetadata(metadata))).toEqual(metadata);
    expect(decodeMetadata('not json')).toBeUndefined();
    expect(decodeMetadata('{"channelId":1}')).toBeUndefined();
  });

  it('matches its snapshot', () => {
    expect(
      buildInviteModal(['kantata', 'huddle'], { service: 'huddle', workspace: { service: 'huddle', id: '89178', title: 'Board Pack' } }, { channelId: 'C1', userId: 'U1' }),
    ).toMatchSnapshot();
  });
});

describe('relabelRoles', () => {
  const asOpen = (view: ReturnType<typeof buildInviteModal>): OpenView => ({
    callback_id: view.callback_id ?? '',
    title: view.title,
    submit: view.submit ?? null,
    close: view.close ?? null,
    private_metadata: view.private_metadata ?? '',
    blocks: view.blocks,
  });
  const roleOf = (view: { blocks: readonly { block_id?: string }[] }) =>
    view.blocks.find((block) => block.block_id === 'role') as unknown as { element: { options: { text: { text: string } }[]; initial_option?: { text: { text: string } } } };
  const teams = { maven: 'Northwind Agency', buyer: 'A'.repeat(80) };

  it('relabels the role menu (and its chosen role) and keeps every block and id as it was', () => {
    const open = buildInviteModal(['kantata', 'huddle'], { role: 'buyer', peopleText: 'bob@acme.com' }, metadata);
    const updated = relabelRoles(asOpen(open), teams);
    expect(updated).toBeDefined();
    expect(roleOf(updated ?? open).element.options.map((option) => option.text.text)).toEqual([`${'A'.repeat(74)}…`, 'Northwind Agency (team member)']);
    expect(roleOf(updated ?? open).element.initial_option?.text.text).toBe(`${'A'.repeat(74)}…`);
    expect(updated?.blocks.map((block) => block.block_id)).toEqual(open.blocks.map((block) => block.block_id));
    expect(updated?.blocks.filter((block) => block.block_id !== 'role')).toEqual(open.blocks.filter((block) => block.block_id !== 'role'));
    expect({ ...updated, blocks: [] }).toEqual({ ...open, blocks: [] });
    expect(viewProblems(updated as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('has nothing to change when the labels already fit, or the form has no role menu', () => {
    expect(relabelRoles(asOpen(buildInviteModal(['kantata'], {}, metadata)), undefined)).toBeUndefined();
    const named = buildInviteModal(['kantata'], { workspace: { service: 'kantata', id: '12345', teams } }, metadata);
    expect(relabelRoles(asOpen(named), teams)).toBeUndefined();
    expect(relabelRoles(asOpen(buildInviteModal(['huddle'], {}, metadata)), teams)).toBeUndefined();
  });
});

describe('readInviteModal', () => {
  it('reads values and tolerates missing or null fields', () => {
    expect(readInviteModal(undefined)).toEqual({ again: false, peopleText: '', colleagueIds: [] });
    expect(
      readInviteModal({
        service: { service: { selected_option: { value: 'huddle' } } },
        workspace: { workspace: { selected_option: { value: 'huddle:89178' } } },
        people: { people: { value: null } },
        colleagues: { colleagues: { selected_users: ['U1', 'U2'] } },
        role: { role: { selected_option: null } },
        message: { message: { value: '   ' } },
        again: { again: { selected_options: [{ value: 'again' }] } },
      }),
    ).toEqual({ again: true, service: 'huddle', workspace: 'huddle:89178', peopleText: '', colleagueIds: ['U1', 'U2'] });
  });
});

describe('the workspace menu', () => {
  const projects = (count: number, title = (i: number) => `Project ${i}`): Workspace[] =>
    Array.from({ length: count }, (_, i) => ({ service: 'kantata', id: String(1000 + i), title: title(i) }));
  const texts = (answer: ReturnType<typeof buildWorkspaceOptions>) =>
    'options' in answer ? answer.options.map((option) => option.text.text) : answer.option_groups.flatMap((group) => group.options.map((option) => option.text.text));

  it('is an external select that lists before anything is typed, preselecting a known workspace', () => {
    const view = buildInviteModal(['kantata'], { workspace: { service: 'kantata', id: '12345', title: 'Acme Rollout' } }, metadata);
    const block = view.blocks.find((b) => b.block_id === 'workspace') as unknown as { element: Record<string, unknown>; optional?: boolean };
    expect(block.element).toMatchObject({
      type: 'external_select',
      action_id: 'workspace',
      min_query_length: 0,
      initial_option: { text: { text: 'Acme Rollout (12345)' }, value: 'kantata:12345' },
    });
    expect(block.optional).toBeUndefined();
  });

  it('offers exactly the candidates when a typed name matched several', () => {
    const candidates = projects(3);
    const view = buildInviteModal(['kantata'], { candidates: { name: 'Project', workspaces: candidates } }, metadata);
    const block = view.blocks.find((b) => b.block_id === 'workspace') as unknown as { element: { type: string; options: { value: string }[] }; hint: { text: string } };
    expect(block.element.type).toBe('static_select');
    expect(block.element.options.map((option) => option.value)).toEqual(['kantata:1000', 'kantata:1001', 'kantata:1002']);
    expect(block.hint.text).toBe('Several workspaces match “Project”: pick one.');
    expect(viewProblems(view as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('keeps to 100 options and 75 characters, always showing the id', () => {
    const answer = buildWorkspaceOptions([{ service: 'kantata', kind: 'found', workspaces: projects(150, (i) => `${'Very long project name '.repeat(5)}${i}`) }], 'very');
    expect(optionsAnswerProblems(answer as unknown as Record<string, unknown>)).toEqual([]);
    expect(texts(answer)).toHaveLength(100);
    expect(texts(answer)[0]).toMatch(/… \(1000\)$/);
  });

  it('groups by service when both were searched, and warns about a service that did not answer', () => {
    const answer = buildWorkspaceOptions(
      [
        { service: 'kantata', kind: 'unavailable', reason: 'timeout' },
        { service: 'huddle', kind: 'found', workspaces: [{ service: 'huddle', id: '89178', title: 'Acme Board Pack' }] },
      ],
      'acme',
    );
    expect(answer).toEqual({
      option_groups: [
        { label: { type: 'plain_text', text: 'Kantata OX', emoji: true }, options: [{ text: { type: 'plain_text', text: '⚠ Kantata OX is slow to answer: type the workspace id', emoji: true }, value: 'unavailable:kantata' }] },
        { label: { type: 'plain_text', text: 'Huddle', emoji: true }, options: [{ text: { type: 'plain_text', text: 'Acme Board Pack (89178)', emoji: true }, value: 'huddle:89178' }] },
      ],
    });
    expect(parseWorkspaceChoice('unavailable:kantata')).toEqual({ kind: 'not_a_workspace' });
    expect(optionsAnswerProblems(answer as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('offers a typed number as an id when no search found it', () => {
    const answer = buildWorkspaceOptions([{ service: 'kantata', kind: 'unavailable', reason: 'failed' }], ' 4242 ');
    expect(texts(answer)).toEqual(['Workspace 4242 (by id)', '⚠ Kantata OX search failed: type the workspace id']);
    expect(parseWorkspaceChoice('kantata:4242')).toEqual({ kind: 'workspace', service: 'kantata', id: '4242' });
    const found = buildWorkspaceOptions([{ service: 'kantata', kind: 'found', workspaces: [{ service: 'kantata', id: '4242', title: 'Found' }] }], '4242');
    expect(texts(found)).toEqual(['Found (4242)']);
  });

  it('reads only well-formed choices', () => {
    for (const value of ['kantata:', 'asana:1', 'kantata:12a', 'kantata:1:2', '__proto__:1', 'huddle:' + '9'.repeat(19)]) {
      expect(parseWorkspaceChoice(value), value).toEqual({ kind: 'not_a_workspace' });
    }
  });
});
