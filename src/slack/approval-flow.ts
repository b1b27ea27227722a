import { audit } from '../audit.js';
import type { ApprovalPolicyConfig } from '../config.js';
import type { DecisionResult, Ledger, RequestReport } from '../invitations/ledger/ledger.js';
import type { Logger } from '../logger.js';
import { approvalText } from '../messages.js';
import type { Authorizer } from './authorization.js';
import { decisionLine } from './approval-render.js';
import type { Destination, PrivateNotices } from './private-notices.js';
import { plainMessage, type SlackMessage } from './render.js';

/** What the approval listeners need, injected by createApp. */
export interface ApprovalContext {
  readonly approval: ApprovalPolicyConfig;
  /** Checks that whoever clicks is an approver (a listed user, or in a listed user group) and a full member. */
  readonly approverCheck: Authorizer;
  readonly ledger: Ledger;
  readonly notices: PrivateNotices;
  readonly logger: Logger;
  /** Tells the background that a request changed: the decision is shown, and an approved request sent. */
  readonly workRecorded: () => void;
  readonly now: () => number;
}

/** True when this person may decide on held requests. Nobody may when no approver is configured. */
export async function isApprover(context: ApprovalContext, userId: string): Promise<boolean> {
  const { approverUsers, approverUsergroups } = context.approval;
  if (approverUsers.length === 0 && approverUsergroups.length === 0) return false;
  return (await context.approverCheck.check(userId)).allowed;
}

export type HeldRequest =
  | { readonly kind: 'held'; readonly report: RequestReport }
  /** Not something this person may decide on now: the message that says why. */
  | { readonly kind: 'refused'; readonly message: SlackMessage };

/** The request behind a button, if it is still waiting and this person may decide on it. */
export async function heldRequest(context: ApprovalContext, ref: string, userId: string, decision: 'approved' | 'denied'): Promise<HeldRequest> {
  if (!(await isApprover(context, userId))) return { kind: 'refused', message: plainMessage(approvalText.notAnApprover()) };
  const report = await context.ledger.findRequest(ref);
  if (!report) return { kind: 'refused', message: plainMessage(approvalText.notFound(ref)) };
  if (report.request.status !== 'awaiting_approval') return { kind: 'refused', message: plainMessage(approvalText.alreadyDecided(decisionLine(report.request))) };
  if (decision === 'approved' && report.request.userId === userId) {
    audit(context.logger, { ref, decision: 'self_approval_refused', source: report.request.source, userId: report.request.userId, by: userId });
    return { kind: 'refused', message: plainMessage(approvalText.ownRequest()) };
  }
  return { kind: 'held', report };
}

/**
 * Records the decision (the first one wins, across replicas), audits it and wakes the background; the
 * message returned tells the person who decided when someone else was first.
 */
export async function recordDecision(
  context: ApprovalContext,
  report: RequestReport,
  decision: { readonly kind: 'approved' | 'denied'; readonly by: string; readonly reason?: string },
): Promise<SlackMessage | undefined> {
  const { request } = report;
  let result: DecisionResult;
  try {
    result = await context.ledger.decide(request.ref, { ...decision, at: context.now() });
  } catch (error) {
    context.logger.error({ event: 'decision_unrecorded', ref: request.ref, error: error instanceof Error ? error.message : String(error) }, 'could not record a decision');
    return plainMessage(approvalText.decisionFailed(request.ref));
  }
  if (result.kind === 'not_found') return plainMessage(approvalText.notFound(request.ref));
  if (result.kind === 'already') return plainMessage(approvalText.alreadyDecided(decisionLine(result.request)));
  audit(context.logger, {
    ref: request.ref,
    decision: decision.kind === 'approved' ? 'approved' : 'approval_denied',
    source: request.source,
    userId: request.userId,
    channelId: request.channelId,
    service: request.service,
    workspaceId: request.workspaceId,
    addresses: report.invitees.map((invitee) => invitee.email),
    by: decision.by,
    ...(decision.reason ? { reason: decision.reason } : {}),
  });
  context.workRecorded();
  return undefined;
}

export async function tellClicker(context: ApprovalContext, destination: Destination, message: SlackMessage | undefined, ref: string): Promise<void> {
  if (message) await context.notices.tell(destination, message, ref);
}
