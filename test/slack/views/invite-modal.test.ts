import { describe, expect, it } from 'vitest';
import { buildInviteModal, decodeMetadata, encodeMetadata, readInviteModal } from '../../../src/slack/views/invite-modal.js';
import { viewProblems } from '../../fakes/block-kit.js';

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
