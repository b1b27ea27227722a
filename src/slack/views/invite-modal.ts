import type { Block, KnownBlock, ModalView, PlainTextElement } from '@slack/types';
import type { DraftField } from '../../invitations/validation.js';
import { LIMITS } from '../../invitations/validation.js';
import { SERVICE_NAMES, type ServiceName } from '../../invitations/request.js';
import type { TeamNames, Workspace } from '../../invitations/workspaces.js';
import { modalText, roleLabel, SERVICE_LABELS, workspaceMenuText } from '../../messages.js';
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
  /** Chosen already (typed inline, or the channel's own); the title is shown when known, and the roles in its teams' names. */
  readonly workspace?: { readonly service: ServiceName; readonly id: string; readonly title?: string; readonly teams?: TeamNames };
  /** A typed name matched several workspaces: the form offers exactly these. */
  readonly candidates?: { readonly name: string; readonly workspaces: readonly Workspace[] };
  readonly peopleText?: string;
  readonly colleagueIds?: readonly string[];
  readonly role?: 'maven' | 'buyer';
  readonly subject?: string;
  readonly message?: string;
  readonly again?: boolean;
  /** The person searches with their own linked account: the menu lists what they may invite to. */
  readonly searchesAsYou?: boolean;
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

/** Slack's limit on option text; values stay well under it too. */
const OPTION_TEXT_LIMIT = 75;

function option(text: string, value: string) {
  return { text: plain(truncate(text, OPTION_TEXT_LIMIT)), value };
}

/** A menu choice names its service as well as its id, so the choice alone says where to invite. */
export function workspaceOptionValue(service: ServiceName, id: string): string {
  return `${service}:${id}`;
}

/** What the "search is not answering" entry carries; choosing it is answered with a field error. */
const UNAVAILABLE_VALUE = 'unavailable';

export type WorkspaceChoice =
  | { readonly kind: 'workspace'; readonly service: ServiceName; readonly id: string }
  | { readonly kind: 'not_a_workspace' };

export function parseWorkspaceChoice(value: string): WorkspaceChoice {
  const match = /^([a-z]+):(\d{1,18})$/.exec(value);
  const service = match?.[1] as ServiceName | undefined;
  if (!match || !service || !SERVICE_NAMES.includes(service)) return { kind: 'not_a_workspace' };
  return { kind: 'workspace', service, id: match[2] ?? '' };
}

/** `Acme Rollout (12345)`, the title cut so the id always shows. */
export function workspaceOption(workspace: { service: ServiceName; id: string; title?: string }) {
  const text = workspace.title
    ? workspaceMenuText.option(truncate(workspace.title, Math.max(10, OPTION_TEXT_LIMIT - workspace.id.length - 3)), workspace.id)
    : workspaceMenuText.byId(workspace.id);
  return option(text, workspaceOptionValue(workspace.service, workspace.id));
}

export type WorkspaceSearchAnswer =
  | { readonly service: ServiceName; readonly kind: 'found'; readonly workspaces: readonly Workspace[] }
  | { readonly service: ServiceName; readonly kind: 'unavailable'; readonly reason: 'timeout' | 'failed' | 'not_linked' };

/** Slack takes at most 100 options (or groups) in an answer. */
const MAX_MENU_OPTIONS = 100;

type MenuOption = ReturnType<typeof option>;
export type WorkspaceMenu = { options: MenuOption[] } | { option_groups: { label: ReturnType<typeof plain>; options: MenuOption[] }[] };

/** The one entry a person who may not invite sees, saying why; choosing it is answered with a field error. */
export function refusedWorkspaceMenu(reasonText: string): WorkspaceMenu {
  return { options: [option(reasonText, 'refused')] };
}

/**
 * The answer to the workspace menu's `block_suggestion`: each service's matches (grouped by service when
 * more than one was searched), a "by id" entry when the text is a number nobody found, and a visible
 * warning entry for a service that did not answer, so silence is never mistaken for "no such workspace".
 */
export function buildWorkspaceOptions(answers: readonly WorkspaceSearchAnswer[], query: string): WorkspaceMenu {
  const typedId = /^[1-9]\d{0,17}$/.test(query.trim()) ? query.trim() : undefined;
  const share = Math.floor(MAX_MENU_OPTIONS / Math.max(1, answers.length));
  const groups = answers.map((answer) => {
    const found = answer.kind === 'found' ? answer.workspaces : [];
    const byId = typedId !== undefined && !found.some((workspace) => workspace.id === typedId) ? [workspaceOption({ service: answer.service, id: typedId })] : [];
    const warning =
      answer.kind === 'unavailable'
        ? [
            option(
              answer.reason === 'not_linked'
                ? workspaceMenuText.notLinked(SERVICE_LABELS[answer.service])
                : workspaceMenuText.unavailable(SERVICE_LABELS[answer.service], answer.reason === 'timeout'),
              `${UNAVAILABLE_VALUE}:${answer.service}`,
            ),
          ]
        : [];
    const options = [...byId, ...warning, ...found.map(workspaceOption)].slice(0, share);
    return { label: plain(truncate(SERVICE_LABELS[answer.service], OPTION_TEXT_LIMIT)), options };
  });
  if (groups.length === 1) return { options: groups[0]?.options ?? [] };
  return { option_groups: groups.filter((group) => group.options.length > 0) };
}

function workspaceBlock(prefill: InviteModalPrefill): KnownBlock {
  // A choice is sent at once (block_actions), so the role menu can take the chosen project's team names.
  const common = { type: 'input' as const, block_id: BLOCK_IDS.workspace, dispatch_action: true, label: plain(modalText.workspaceLabel) };
  if (prefill.candidates && prefill.candidates.workspaces.length > 0) {
    return {
      ...common,
      hint: plain(truncate(workspaceMenuText.candidatesHint(prefill.candidates.name), 2000)),
      element: {
        type: 'static_select',
        action_id: BLOCK_IDS.workspace,
        placeholder: plain(modalText.workspacePlaceholder),
        options: prefill.candidates.workspaces.slice(0, MAX_MENU_OPTIONS).map(workspaceOption),
      },
    };
  }
  return {
    ...common,
    hint: plain(prefill.searchesAsYou ? modalText.workspaceHintLinked : modalText.workspaceHint),
    element: {
      type: 'external_select',
      action_id: BLOCK_IDS.workspace,
      placeholder: plain(modalText.workspacePlaceholder),
      // Opening the menu lists workspaces before anything is typed.
      min_query_length: 0,
      ...(prefill.workspace ? { initial_option: workspaceOption(prefill.workspace) } : {}),
    },
  };
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
): ModalView {
  const blocks: KnownBlock[] = [];
  if (services.length > 1) {
    const options = services.map((service) => option(SERVICE_LABELS[service], service));
    const initial = options.find((candidate) => candidate.value === prefill.service);
    blocks.push({
      type: 'input',
      block_id: BLOCK_IDS.service,
      // The workspace chosen below says its service; this only narrows the search.
      optional: true,
      label: plain(modalText.serviceLabel),
      hint: plain(modalText.serviceHint),
      element: { type: 'static_select', action_id: BLOCK_IDS.service, options, ...(initial ? { initial_option: initial } : {}) },
    });
  }
  blocks.push(
    workspaceBlock(prefill),
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
    const roles = roleOptions(prefill.workspace?.teams);
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

/** The role menu's options: in the project's own words when its team names are known ("Acme Corp (client)"). */
function roleOptions(teams: TeamNames | undefined): MenuOption[] {
  return (['buyer', 'maven'] as const).map((role) => option(roleLabel(role, teams), role));
}

/** The parts of an open view, as a payload shows it, that views.update takes back. */
export interface OpenView {
  readonly callback_id: string;
  readonly title: PlainTextElement;
  readonly submit: PlainTextElement | null;
  readonly close: PlainTextElement | null;
  readonly private_metadata: string;
  readonly blocks: readonly (KnownBlock | Block)[];
}

/**
 * The form as it is, with the role menu labelled for `teams`, ready for views.update; undefined when it
 * reads so already (or has no role menu). Every block keeps its block_id and action_id, which is what
 * makes Slack keep what the person typed and chose.
 */
export function relabelRoles(view: OpenView, teams: TeamNames | undefined): ModalView | undefined {
  const wanted = roleOptions(teams);
  let changed = false;
  const blocks = view.blocks.map((block): KnownBlock | Block => {
    if (block.block_id !== BLOCK_IDS.role || block.type !== 'input') return block;
    const input = block as Extract<KnownBlock, { type: 'input' }>;
    const select = input.element;
    if (select.type !== 'static_select') return block;
    const shown = (select.options ?? []).map((entry) => entry.text.text);
    if (shown.join('\n') === wanted.map((entry) => entry.text.text).join('\n')) return block;
    changed = true;
    // Slack refuses an initial option that is not one of the options, so it is relabelled too.
    const initial = wanted.find((entry) => entry.value === select.initial_option?.value);
    const { initial_option: _old, ...element } = select;
    return { ...input, element: { ...element, options: wanted, ...(initial ? { initial_option: initial } : {}) } };
  });
  if (!changed) return undefined;
  return {
    type: 'modal',
    callback_id: view.callback_id,
    title: view.title,
    ...(view.submit ? { submit: view.submit } : {}),
    ...(view.close ? { close: view.close } : {}),
    private_metadata: view.private_metadata,
    blocks: blocks as KnownBlock[],
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
  /** The workspace menu's value, `service:id` (see parseWorkspaceChoice). */
  readonly workspace?: string;
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
    workspace: selected(BLOCK_IDS.workspace),
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
