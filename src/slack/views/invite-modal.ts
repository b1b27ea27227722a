import type { KnownBlock, View } from '@slack/types';
import type { DraftField } from '../../invitations/validation.js';
import { LIMITS } from '../../invitations/validation.js';
import type { ServiceName } from '../../invitations/request.js';
import { modalText, ROLE_LABELS, SERVICE_LABELS } from '../../messages.js';
import { truncate } from '../mrkdwn.js';

export const INVITE_MODAL_CALLBACK_ID = 'invite_modal';

/** Block ids double as the keys of `response_action: "errors"`, so each names the field it holds. */
export const BLOCK_IDS = {
  service: 'service',
  workspace: 'workspace',
  people: 'people',
  colleagues: 'colleagues',
  role: 'role',
  subject: 'subject',
  message: 'message',
  again: 'again',
} as const;

/** Which block shows the problems of each draft field. */
export const FIELD_BLOCKS: Readonly<Record<DraftField, string>> = {
  service: BLOCK_IDS.service,
  workspaceId: BLOCK_IDS.workspace,
  invitees: BLOCK_IDS.people,
  role: BLOCK_IDS.role,
  subject: BLOCK_IDS.subject,
  message: BLOCK_IDS.message,
};

export interface InviteModalPrefill {
  readonly service?: ServiceName;
  readonly workspaceId?: string;
  readonly peopleText?: string;
  readonly colleagueIds?: readonly string[];
  readonly role?: 'maven' | 'buyer';
  readonly subject?: string;
  readonly message?: string;
  readonly again?: boolean;
}

/** Where the outcome goes and who asked; carried through the modal in `private_metadata`. */
export interface InviteModalMetadata {
  readonly channelId: string;
  readonly userId: string;
  readonly teamId?: string;
  readonly responseUrl?: string;
}

const PRIVATE_METADATA_LIMIT = 3000;
const TEXT_INPUT_LIMIT = 3000;

export function encodeMetadata(metadata: InviteModalMetadata): string {
  const encoded = JSON.stringify(metadata);
  // A response_url is a convenience; dropping it keeps the rest within Slack's limit.
  if (encoded.length <= PRIVATE_METADATA_LIMIT) return encoded;
  const { responseUrl: _dropped, ...rest } = metadata;
  return JSON.stringify(rest);
}

export function decodeMetadata(text: string | undefined): InviteModalMetadata | undefined {
  try {
    const value = JSON.parse(text ?? '') as Partial<InviteModalMetadata>;
    if (typeof value.channelId !== 'string' || typeof value.userId !== 'string') return undefined;
    return {
      channelId: value.channelId,
      userId: value.userId,
      ...(typeof value.teamId === 'string' ? { teamId: value.teamId } : {}),
      ...(typeof value.responseUrl === 'string' ? { responseUrl: value.responseUrl } : {}),
    };
  } catch {
    return undefined;
  }
}

const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });

function option(text: string, value: string) {
  return { text: plain(truncate(text, 75)), value };
}

function textInput(
  blockId: string,
  label: string,
  options: { initial?: string; multiline?: boolean; maxLength: number; placeholder?: string; hint?: string; optional?: boolean },
): KnownBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional: options.optional ?? true,
    label: plain(label),
    ...(options.hint ? { hint: plain(options.hint) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: blockId,
      multiline: options.multiline ?? false,
      max_length: Math.min(options.maxLength, TEXT_INPUT_LIMIT),
      ...(options.placeholder ? { placeholder: plain(truncate(options.placeholder, 150)) } : {}),
      ...(options.initial ? { initial_value: truncate(options.initial, Math.min(options.maxLength, TEXT_INPUT_LIMIT)) } : {}),
    },
  };
}

/** The invitation form. Pure, so tests can check it against Block Kit's limits. */
export function buildInviteModal(
  services: readonly ServiceName[],
  prefill: InviteModalPrefill,
  metadata: InviteModalMetadata,
): View {
  const blocks: KnownBlock[] = [];
  if (services.length > 1) {
    const options = services.map((service) => option(SERVICE_LABELS[service], service));
    const initial = options.find((candidate) => candidate.value === prefill.service);
    blocks.push({
      type: 'input',
      block_id: BLOCK_IDS.service,
      label: plain(modalText.serviceLabel),
      element: { type: 'static_select', action_id: BLOCK_IDS.service, options, ...(initial ? { initial_option: initial } : {}) },
    });
  }
  blocks.push(
    textInput(BLOCK_IDS.workspace, modalText.workspaceLabel, {
      optional: false,
      maxLength: LIMITS.maxWorkspaceIdDigits,
      placeholder: modalText.workspacePlaceholder,
      hint: modalText.workspaceHint,
      ...(prefill.workspaceId ? { initial: prefill.workspaceId } : {}),
    }),
    textInput(BLOCK_IDS.people, modalText.peopleLabel, {
      multiline: true,
      maxLength: TEXT_INPUT_LIMIT,
      placeholder: modalText.peoplePlaceholder,
      hint: modalText.peopleHint,
      ...(prefill.peopleText ? { initial: prefill.peopleText } : {}),
    }),
    {
      type: 'input',
      block_id: BLOCK_IDS.colleagues,
      optional: true,
      label: plain(modalText.colleaguesLabel),
      element: {
        type: 'multi_users_select',
        action_id: BLOCK_IDS.colleagues,
        placeholder: plain(modalText.colleaguesPlaceholder),
        ...(prefill.colleagueIds && prefill.colleagueIds.length > 0 ? { initial_users: [...prefill.colleagueIds].slice(0, 100) } : {}),
      },
    },
  );
  if (services.includes('kantata')) {
    const roles = (['buyer', 'maven'] as const).map((role) => option(ROLE_LABELS[role], role));
    const initialRole = roles.find((candidate) => candidate.value === prefill.role);
    blocks.push(
      {
        type: 'input',
        block_id: BLOCK_IDS.role,
        optional: services.length > 1,
        label: plain(modalText.roleLabel),
        ...(services.length > 1 ? { hint: plain(modalText.roleHint) } : {}),
        element: { type: 'static_select', action_id: BLOCK_IDS.role, options: roles, ...(initialRole ? { initial_option: initialRole } : {}) },
      },
      textInput(BLOCK_IDS.subject, modalText.subjectLabel, {
        maxLength: LIMITS.maxSubjectLength,
        hint: modalText.subjectHint,
        ...(prefill.subject ? { initial: prefill.subject } : {}),
      }),
    );
  }
  blocks.push(
    textInput(BLOCK_IDS.message, modalText.messageLabel, {
      multiline: true,
      maxLength: LIMITS.maxMessageLength,
      placeholder: modalText.messagePlaceholder,
      ...(prefill.message ? { initial: prefill.message } : {}),
    }),
  );
  const againOption = { text: plain(modalText.againOption), value: 'again' };
  blocks.push({
    type: 'input',
    block_id: BLOCK_IDS.again,
    optional: true,
    label: plain(modalText.againLabel),
    element: { type: 'checkboxes', action_id: BLOCK_IDS.again, options: [againOption], ...(prefill.again ? { initial_options: [againOption] } : {}) },
  });
  return {
    type: 'modal',
    callback_id: INVITE_MODAL_CALLBACK_ID,
    title: plain(modalText.title),
    submit: plain(modalText.submit),
    close: plain(modalText.close),
    private_metadata: encodeMetadata(metadata),
    blocks,
  };
}

type StateValues = Record<string, Record<string, {
  type?: string;
  value?: string | null;
  selected_option?: { value?: string } | null;
  selected_users?: string[] | null;
  selected_options?: { value?: string }[] | null;
}>>;

export interface InviteModalValues {
  readonly service?: string;
  readonly workspaceId?: string;
  readonly peopleText: string;
  readonly colleagueIds: readonly string[];
  readonly role?: string;
  readonly subject?: string;
  readonly message?: string;
  readonly again: boolean;
}

/** Reads `view.state.values`, tolerating any field being absent or null. */
export function readInviteModal(values: StateValues | undefined): InviteModalValues {
  const field = (block: string) => values?.[block]?.[block];
  const text = (block: string) => {
    const value = field(block)?.value;
    return typeof value === 'string' && value.trim() !== '' ? value : undefined;
  };
  const selected = (block: string) => {
    const value = field(block)?.selected_option?.value;
    return typeof value === 'string' ? value : undefined;
  };
  const users = field(BLOCK_IDS.colleagues)?.selected_users;
  const result = {
    service: selected(BLOCK_IDS.service),
    workspaceId: text(BLOCK_IDS.workspace),
    role: selected(BLOCK_IDS.role),
    subject: text(BLOCK_IDS.subject),
    message: text(BLOCK_IDS.message),
  };
  const checked = field(BLOCK_IDS.again)?.selected_options;
  return {
    again: Array.isArray(checked) && checked.some((option) => option?.value === 'again'),
    peopleText: text(BLOCK_IDS.people) ?? '',
    colleagueIds: Array.isArray(users) ? users.filter((id): id is string => typeof id === 'string') : [],
    ...Object.fromEntries(Object.entries(result).filter(([, value]) => value !== undefined)),
  };
}
