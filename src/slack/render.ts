import type { KnownBlock } from '@slack/types';
import type { InvitationOutcome, InvitationResult, ProblemOutcome } from '../invitations/outcome.js';
import type { ServiceName } from '../invitations/request.js';
import { failureText, faultLabel, helpText, ROLE_LABELS, SERVICE_LABELS, slackText } from '../messages.js';
import { escapeMrkdwn, slackTime, truncate, userMention } from './mrkdwn.js';

/** A message as chat.postMessage, chat.postEphemeral and response_url take it. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
}

/** Slack's limits, kept a little under so that joining never tips a block over. */
export const BLOCK_KIT_LIMITS = { sectionText: 3000, blocksPerMessage: 50, contextElement: 2000, notificationText: 4000 } as const;
const SECTION_BUDGET = 2900;

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(text, BLOCK_KIT_LIMITS.sectionText) } });
const context = (text: string): KnownBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: truncate(text, BLOCK_KIT_LIMITS.contextElement) }],
});

/** Packs lines into as few section blocks as the per-section limit allows, never splitting a line. */
function sections(lines: readonly string[]): KnownBlock[] {
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
    invited: outcomes.filter((o) => o.status === 'invited').length,
    failed: outcomes.filter((o) => o.status === 'failed').length,
    unknown: outcomes.filter((o) => o.status === 'unknown').length,
    skipped: outcomes.filter((o) => o.status === 'skipped').length,
  };
}

/** The channel message: who invited whom, where, as what, and how each invitation went. */
export function renderSummary(result: InvitationResult, ref: string, workspace: WorkspaceLabel = {}): SlackMessage {
  const { request, outcomes } = result;
  const counts = countByStatus(outcomes);
  const label = SERVICE_LABELS[request.service];
  const headline = slackText.summaryHeadline(
    userMention(request.requestedBy.userId),
    outcomes.length,
    label,
    workspaceMrkdwn(request.workspaceId, workspace),
    request.service === 'kantata' ? ROLE_LABELS[request.role] : undefined,
  );
  const inviteeLines = outcomes.map((outcome) => {
    const who = inviteeMrkdwn(outcome.invitee);
    const line = outcome.status === 'skipped' ? slackText.skippedLine(who, userMention(outcome.previous.userId), slackTime(outcome.previous.at)) : who;
    return `${slackText.outcomeStatusIcon[outcome.status]} ${line}`;
  });
  const notes = [
    ...(request.message ? [slackText.summaryMessageLine([...request.message].length)] : []),
    ...(counts.failed + counts.unknown > 0 ? [slackText.failuresInThread()] : []),
    ...(counts.skipped > 0 ? [slackText.againHint()] : []),
    slackText.reference(ref),
  ];
  const fixed = 2;
  const listBlocks = sections(inviteeLines);
  const room = BLOCK_KIT_LIMITS.blocksPerMessage - fixed - 1;
  const shown = listBlocks.length > room ? [...listBlocks.slice(0, room - 1), section(slackText.summaryMoreInvitees(outcomes.length))] : listBlocks;
  return {
    text: slackText.notificationText(outcomes.length, label, workspacePlain(request.workspaceId, workspace), counts.invited),
    blocks: [section(`${headline}\n${slackText.summaryCounts(counts.invited, counts.failed, counts.unknown, counts.skipped)}`), ...shown, context(notes.join('  ·  '))],
  };
}

/**
 * One thread reply per distinct problem: invitees that failed for the same reason (all of a Huddle call,
 * or every Kantata invitee after a 401) share a reply listing them all, instead of flooding the thread.
 */
export function renderFailureReplies(result: InvitationResult, ref: string): SlackMessage[] {
  const groups = new Map<string, ProblemOutcome[]>();
  for (const outcome of result.outcomes) {
    if (outcome.status !== 'failed' && outcome.status !== 'unknown') continue;
    const key = JSON.stringify([outcome.status, outcome.error]);
    groups.set(key, [...(groups.get(key) ?? []), outcome]);
  }
  return [...groups.values()].map((group) => {
    const [first] = group as [ProblemOutcome];
    const detail = escapeMrkdwn(failureText(result.request.service, result.request.workspaceId, first));
    const who = group.map((outcome) => inviteeMrkdwn(outcome.invitee)).join(', ');
    const text = slackText.threadReply(slackText.outcomeStatusIcon[first.status], who, faultLabel(first.error.kind), detail, ref);
    return { text: truncate(text, BLOCK_KIT_LIMITS.notificationText), blocks: sections(text.split('\n')) };
  });
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
