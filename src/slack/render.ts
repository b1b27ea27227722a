import type { KnownBlock } from '@slack/types';
import { retryOffer, type InvitationOutcome, type InvitationResult, type ProblemOutcome } from '../invitations/outcome.js';
import type { ServiceName } from '../invitations/request.js';
import { approvalText, failureText, faultLabel, helpText, identityText, retryText, roleLabel, SERVICE_LABELS, slackText, teamName, type Sender } from '../messages.js';
import { encodeRetryValue } from './retry-value.js';
import type { TeamNames } from '../invitations/workspaces.js';
import { escapeMrkdwn, slackDateTime, truncate, userMention } from './mrkdwn.js';

/** A message as chat.postMessage, chat.postEphemeral and response_url take it. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
}

/** Slack's limits, kept a little under so that joining never tips a block over. */
export const BLOCK_KIT_LIMITS = { sectionText: 3000, blocksPerMessage: 50, contextElement: 2000, notificationText: 4000 } as const;
const SECTION_BUDGET = 2900;

export const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(text, BLOCK_KIT_LIMITS.sectionText) } });
export const context = (text: string): KnownBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: truncate(text, BLOCK_KIT_LIMITS.contextElement) }],
});

/** Packs lines into as few section blocks as the per-section limit allows, never splitting a line. */
export function sections(lines: readonly string[]): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  let current = '';
  for (const line of lines) {
    const fitted = truncate(line, SECTION_BUDGET);
    if (current && current.length + 1 + fitted.length > SECTION_BUDGET) {
      blocks.push(section(current));
      current = '';
    }
    current = current ? `${current}\n${fitted}` : fitted;
  }
  if (current) blocks.push(section(current));
  return blocks;
}

export function inviteeMrkdwn(invitee: { email: string; fullName?: string }): string {
  const email = escapeMrkdwn(invitee.email);
  return invitee.fullName ? `*${escapeMrkdwn(invitee.fullName)}* (${email})` : email;
}

/** How a workspace is shown: its title when known, a link when the service has a stable web address. */
export interface WorkspaceLabel {
  readonly title?: string;
  readonly url?: string;
  /** Kantata: the project's own names for its two teams. */
  readonly teams?: TeamNames;
}

/** `<url|Acme Rollout> (12345)`, `*Acme Rollout* (12345)`, or `*12345*` when the title is unknown. */
export function workspaceMrkdwn(workspaceId: string, label: WorkspaceLabel = {}): string {
  const id = escapeMrkdwn(workspaceId);
  if (!label.title) return label.url ? `*<${label.url}|${id}>*` : `*${id}*`;
  const title = escapeMrkdwn(label.title);
  return label.url ? `*<${label.url}|${title}>* (${id})` : `*${title}* (${id})`;
}

/** The same for a message's notification `text`: no formatting, but Slack still reads `<!channel>` there. */
export function workspacePlain(workspaceId: string, label: WorkspaceLabel = {}): string {
  return escapeMrkdwn(label.title ? `${label.title} (${workspaceId})` : workspaceId);
}

export function plainMessage(text: string): SlackMessage {
  return { text: truncate(text, BLOCK_KIT_LIMITS.notificationText), blocks: sections([text]) };
}

export function renderHelp(services: readonly ServiceName[]): SlackMessage {
  return plainMessage(helpText(services));
}

/** Input problems, shown only to the person who typed them. Lines are mrkdwn, already escaped. */
export function renderProblems(problemsMrkdwn: readonly string[], ref?: string): SlackMessage {
  const lines = [slackText.problemsHeading(), ...problemsMrkdwn.map((problem) => `• ${problem}`), slackText.usageHint()];
  return {
    text: truncate([slackText.problemsHeading(), ...problemsMrkdwn].join(' '), BLOCK_KIT_LIMITS.notificationText),
    blocks: [...sections(lines), ...(ref ? [context(slackText.reference(ref))] : [])].slice(0, BLOCK_KIT_LIMITS.blocksPerMessage),
  };
}

function countByStatus(outcomes: readonly InvitationOutcome[]) {
  return {
    pending: outcomes.filter((o) => o.status === 'pending').length,
    invited: outcomes.filter((o) => o.status === 'invited').length,
    failed: outcomes.filter((o) => o.status === 'failed').length,
    unknown: outcomes.filter((o) => o.status === 'unknown').length,
    skipped: outcomes.filter((o) => o.status === 'skipped').length,
  };
}

/**
 * The channel message: who invited whom, where, as what, and how each invitation went; while some are
 * still on their way, how many are done. Skipped duplicates are listed but never counted as invited.
 */
export function renderSummary(result: InvitationResult, ref: string, workspace: WorkspaceLabel = {}, options: { readonly reposted?: boolean } = {}): SlackMessage {
  const { request, outcomes } = result;
  const counts = countByStatus(outcomes);
  const label = SERVICE_LABELS[request.service];
  const attempted = outcomes.length - counts.skipped;
  const done = counts.invited + counts.failed + counts.unknown;
  const inviter = userMention(request.requestedBy.userId);
  const where = workspaceMrkdwn(request.workspaceId, workspace);
  // Team names are the project's own text, from Kantata: escaped like anything else echoed.
  const role = request.service === 'kantata' ? escapeMrkdwn(roleLabel(request.role, workspace.teams)) : undefined;
  const headline = result.notApproved
    ? notApprovedHeadline(result.notApproved, inviter, attempted, label, where)
    : result.finished
      ? slackText.summaryHeadline(inviter, attempted, label, where, role)
      : slackText.progressHeadline(inviter, done, attempted, label, where, role);
  const inviteeLines = outcomes.map((outcome) => {
    const who = inviteeMrkdwn(outcome.invitee);
    return `${slackText.outcomeStatusIcon[outcome.status]} ${inviteeLine(outcome, who, request.workspaceId, workspace)}`;
  });
  const duplicates = outcomes.filter((outcome) => outcome.status === 'skipped' && outcome.previous).length;
  const notes = [
    ...(result.approvedBy ? [slackText.approvedBy(userMention(result.approvedBy))] : []),
    ...(result.awaitingLink ? [identityText.summaryAwaitingLink(inviter, label)] : []),
    ...(result.identity ? [identityLine(result, label)] : []),
    ...(request.message ? [slackText.summaryMessageLine([...request.message].length)] : []),
    ...(result.finished && counts.failed + counts.unknown > 0 ? [slackText.failuresInThread()] : []),
    ...(duplicates > 0 ? [slackText.againHint()] : []),
    ...(options.reposted ? [slackText.reposted()] : []),
    slackText.reference(ref),
  ];
  const fixed = 2;
  const listBlocks = sections(inviteeLines);
  const room = BLOCK_KIT_LIMITS.blocksPerMessage - fixed - 1;
  const shown = listBlocks.length > room ? [...listBlocks.slice(0, room - 1), section(slackText.summaryMoreInvitees(outcomes.length))] : listBlocks;
  const plainWhere = workspacePlain(request.workspaceId, workspace);
  return {
    text: result.finished ? slackText.notificationText(attempted, label, plainWhere, counts.invited) : slackText.progressNotificationText(done, attempted, label, plainWhere),
    blocks: [section(`${headline}\n${slackText.summaryCounts(counts.invited, counts.failed, counts.unknown, counts.skipped)}`), ...shown, context(notes.join('  ·  '))],
  };
}

function notApprovedHeadline(notApproved: NonNullable<InvitationResult['notApproved']>, inviter: string, count: number, serviceLabel: string, where: string): string {
  return notApproved.kind === 'denied'
    ? approvalText.summaryDenied(userMention(notApproved.by ?? ''), inviter, count, serviceLabel, where)
    : approvalText.summaryExpired(inviter, count, serviceLabel, where);
}

/** One invitee's line: who, and for a skip why (invited a short while ago, or already on the project). */
function inviteeLine(outcome: InvitationOutcome, who: string, workspaceId: string, workspace: WorkspaceLabel): string {
  if (outcome.status === 'invited' && outcome.joined) return slackText.joinedLine(who);
  if (outcome.status !== 'skipped') return who;
  // The headline links the project and gives its id; here its name alone reads best.
  if (outcome.member) return slackText.memberLine(who, `*${escapeMrkdwn(workspace.title ?? workspaceId)}*`, escapeMrkdwn(teamName(outcome.member.role, workspace.teams)));
  if (outcome.previous) return slackText.skippedLine(who, userMention(outcome.previous.userId), slackDateTime(outcome.previous.at));
  return who;
}

/** Whose account a request went out with, when people can link their own. */
function identityLine(result: InvitationResult, serviceLabel: string): string {
  const identity = result.identity;
  if (identity?.kind !== 'linked') return identityText.summaryAsBot(serviceLabel);
  return identityText.summaryAsPerson(serviceLabel, identity.serviceUserName ? `*${escapeMrkdwn(identity.serviceUserName)}*` : undefined);
}

/** Who sent a request's invitations, for the wording of its problems. */
export function senderOf(result: Pick<InvitationResult, 'identity'>): Sender {
  return result.identity?.kind === 'linked' ? 'you' : 'bot';
}

/**
 * One thread reply per distinct problem: invitees that failed for the same reason (all of a Huddle call,
 * or every Kantata invitee after a 401) share a reply listing them all, instead of flooding the thread.
 */
export function renderFailureReplies(result: InvitationResult, ref: string): FailureReply[] {
  const groups = new Map<string, number[]>();
  result.outcomes.forEach((outcome, index) => {
    if (outcome.status !== 'failed' && outcome.status !== 'unknown') return;
    const key = JSON.stringify([outcome.status, outcome.error]);
    groups.set(key, [...(groups.get(key) ?? []), index]);
  });
  return [...groups.values()].map((indices) => {
    const group = indices.map((index) => result.outcomes[index] as ProblemOutcome);
    const [first] = group as [ProblemOutcome];
    const sender = senderOf(result);
    const detail = escapeMrkdwn(failureText(result.request.service, result.request.workspaceId, first, sender));
    const who = group.map((outcome) => inviteeMrkdwn(outcome.invitee)).join(', ');
    const text = slackText.threadReply(slackText.outcomeStatusIcon[first.status], who, faultLabel(first.error.kind, sender), detail, ref);
    const blocks = [...sections(text.split('\n')), ...retryBlocks(result, ref, first, indices)];
    return { message: { text: truncate(text, BLOCK_KIT_LIMITS.notificationText), blocks: blocks.slice(0, BLOCK_KIT_LIMITS.blocksPerMessage) }, indices };
  });
}

/** The action ids of the buttons under a failure reply. */
export const RETRY_ACTIONS = { retry: 'retry_invitees', check_and_retry: 'check_and_retry' } as const;

/** A Retry (or Check and retry) button, where sending again is safe or the service can tell first. */
function retryBlocks(result: InvitationResult, ref: string, first: ProblemOutcome, indices: readonly number[]): KnownBlock[] {
  const offer = retryOffer(result.request.service, first);
  const value = offer ? encodeRetryValue({ ref, positions: indices }) : undefined;
  if (!offer || !value) return [];
  const requester = userMention(result.request.requestedBy.userId);
  const label = offer === 'retry' ? retryText.retryButton : retryText.checkAndRetryButton;
  return [
    { type: 'actions', elements: [{ type: 'button', action_id: RETRY_ACTIONS[offer], text: { type: 'plain_text', text: label }, value }] },
    context(offer === 'retry' ? retryText.retryHint(requester) : retryText.checkAndRetryHint(requester)),
  ];
}

/** A thread reply and the invitees (by their index in the result) it reports. */
export interface FailureReply {
  readonly message: SlackMessage;
  readonly indices: readonly number[];
}

/** Everything in one message, for places where a thread cannot be started (a response_url). */
export function renderCombined(summary: SlackMessage, replies: readonly SlackMessage[], introMrkdwn?: string): SlackMessage {
  const blocks = [
    ...(introMrkdwn ? [section(introMrkdwn)] : []),
    ...summary.blocks,
    ...replies.flatMap((reply) => [{ type: 'divider' } as KnownBlock, ...reply.blocks]),
  ];
  return {
    text: summary.text,
    blocks: blocks.length <= BLOCK_KIT_LIMITS.blocksPerMessage ? blocks : [...blocks.slice(0, BLOCK_KIT_LIMITS.blocksPerMessage - 1), section('…')],
  };
}
