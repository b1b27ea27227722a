import type { KnownBlock } from '@slack/types';
import type { Approvers } from '../invitations/approval.js';
import type { RequestReport, StoredRequest } from '../invitations/ledger/ledger.js';
import { approvalText, roleLabel, SERVICE_LABELS } from '../messages.js';
import { channelMention, escapeMrkdwn, slackDateTime, truncate, usergroupMention, userMention } from './mrkdwn.js';
import { BLOCK_KIT_LIMITS, context, inviteeMrkdwn, plainMessage, section, sections, workspaceMrkdwn, type SlackMessage, type WorkspaceLabel } from './render.js';

/** The action ids of the approvers' buttons; each button's value is the request's reference. */
export const APPROVAL_ACTIONS = { approve: 'approve_request', deny: 'deny_request' } as const;

/** The approvers as a mention list: `<@U1>, <!subteam^S2>`. */
export function approversMrkdwn(approvers: Approvers, except?: string): string {
  return [...approvers.users.filter((user) => user !== except).map(userMention), ...approvers.usergroups.map(usergroupMention)].join(', ');
}

/** How many a request would send: everyone not skipped as a recent duplicate. */
export function toSend(report: RequestReport): number {
  return report.invitees.filter((invitee) => invitee.state !== 'skipped').length;
}

/**
 * The question approvers get: who asks, whom, where and as what, and why it needs approval; with Approve
 * and Deny while it waits, and the decision in their place once made.
 */
export function renderApprovalQuestion(report: RequestReport, label: WorkspaceLabel, approvers: string): SlackMessage {
  const { request } = report;
  const count = toSend(report);
  const service = SERVICE_LABELS[request.service];
  const role = request.service === 'kantata' && request.role ? roleLabel(request.role, label.teams) : undefined;
  const invitees = report.invitees.filter((invitee) => invitee.state !== 'skipped').map((invitee) => `• ${inviteeMrkdwn(invitee)}`);
  const notes = [
    ...(request.approval ? [approvalText.reason(request.approval.reason)] : []),
    ...(request.message ? [approvalText.personalMessage(escapeMrkdwn(truncate(request.message, 500)))] : []),
    approvalText.askedApprovers(approvers),
  ];
  const decisionBlocks = request.status === 'awaiting_approval' ? [buttons(request.ref)] : [section(decisionLine(request))];
  const fixed = 4 + decisionBlocks.length;
  const list = sections(invitees).slice(0, BLOCK_KIT_LIMITS.blocksPerMessage - fixed);
  return {
    text: approvalText.questionNotification(count, service),
    blocks: [
      section(approvalText.question(userMention(request.userId), count, service, workspaceMrkdwn(request.workspaceId, label), role)),
      ...list,
      context(notes.join('\n')),
      ...decisionBlocks,
      context(approvalText.footer(slackDateTime(request.approval?.expiresAt ?? request.createdAt), request.ref)),
    ],
  };
}

function buttons(ref: string): KnownBlock {
  return {
    type: 'actions',
    elements: [
      { type: 'button', action_id: APPROVAL_ACTIONS.approve, style: 'primary', text: { type: 'plain_text', text: approvalText.approve }, value: ref },
      { type: 'button', action_id: APPROVAL_ACTIONS.deny, style: 'danger', text: { type: 'plain_text', text: approvalText.deny }, value: ref },
    ],
  };
}

/** What became of the request, for the approvers' copies and for a late click. */
export function decisionLine(request: StoredRequest): string {
  const decision = request.decision;
  if (!decision) return '';
  const at = slackDateTime(decision.at);
  switch (decision.kind) {
    case 'approved':
      return approvalText.decidedApproved(userMention(decision.by ?? ''), at);
    case 'denied':
      return approvalText.decidedDenied(userMention(decision.by ?? ''), at, decision.reason ? escapeMrkdwn(truncate(decision.reason, 500)) : undefined);
    case 'expired':
      return approvalText.decidedExpired(at);
  }
}

/** The requester's direct message once approvers (or the clock) decided. */
export function renderDecisionNotice(report: RequestReport, label: WorkspaceLabel): SlackMessage | undefined {
  const { request } = report;
  const decision = request.decision;
  if (!decision) return undefined;
  const count = toSend(report);
  const where = workspaceMrkdwn(request.workspaceId, label);
  switch (decision.kind) {
    case 'approved':
      return plainMessage(approvalText.toRequesterApproved(userMention(decision.by ?? ''), count, where, channelMention(request.channelId), request.ref));
    case 'denied':
      return plainMessage(approvalText.toRequesterDenied(userMention(decision.by ?? ''), count, where, decision.reason ? escapeMrkdwn(truncate(decision.reason, 500)) : undefined, request.ref));
    case 'expired': {
      const hours = Math.round(((request.approval?.expiresAt ?? decision.at) - request.createdAt) / 3_600_000);
      return plainMessage(approvalText.toRequesterExpired(count, where, hours, request.ref));
    }
  }
}
