import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { audit } from '../../audit.js';
import type { RequestReport, StoredInvitee } from '../../invitations/ledger/ledger.js';
import { retryText } from '../../messages.js';
import { readButtonClick, type ButtonClick } from '../button-click.js';
import type { HandledInteraction } from '../interactions.js';
import { check, denialMessage, guardSettings, mistakesOf, overBudgetMessage, problemsMrkdwn, type InviteContext, type Submission } from '../invite-flow.js';
import { userMention } from '../mrkdwn.js';
import { plainMessage, renderProblems, RETRY_ACTIONS, type SlackMessage } from '../render.js';
import { decodeRetryValue, type RetryTarget } from '../retry-value.js';

export const RETRY_INVITEES: readonly HandledInteraction[] = Object.values(RETRY_ACTIONS).map((actionId) => ({ type: 'block_actions', actionId }));

/**
 * Retry (or Check and retry) under a failure reply: only the requester or an admin; the invitees go back
 * into the ledger as a new attempt on the same request, through every guard a new request meets (the
 * rules as they are now, the budget, the duplicate window). The summary updates as they go out.
 */
export function registerRetryInvitees(app: App, context: InviteContext): void {
  for (const actionId of Object.values(RETRY_ACTIONS)) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action }) => {
      await ack();
      const click = readButtonClick(body, action);
      const target = decodeRetryValue(click.value);
      if (!target) return context.logger.warn({ event: 'retry_value_unreadable', userId: click.userId }, 'a Retry button carried a value this bot did not write');
      const answer = await retry(context, click, target).catch((error: unknown) => {
        context.logger.error({ event: 'retry_unrecorded', ref: target.ref, error: error instanceof Error ? error.message : String(error) }, 'could not retry');
        return plainMessage(retryText.failed(target.ref));
      });
      await context.notices.tell(click.destination, answer, target.ref);
    });
  }
}

async function retry(context: InviteContext, click: ButtonClick, target: RetryTarget): Promise<SlackMessage> {
  const report = await context.ledger.findRequest(target.ref);
  const chosen = report ? retriable(report, target.positions) : [];
  if (!report || chosen.length === 0) return plainMessage(retryText.nothing(target.ref));
  const refusal = (await whoMayRetry(context, report, click.userId)) ?? recheck(context, report, chosen);
  if (refusal) return refusal;
  const result = await context.ledger.retry(target.ref, chosen.map((invitee) => invitee.id), guardSettings(context.policy), context.now());
  if (result.kind === 'over_budget') return overBudgetMessage(result.budget, target.ref);
  if (result.kind === 'nothing') return plainMessage(retryText.nothing(target.ref));
  const { request } = report;
  const queued = result.invitees.filter((invitee) => invitee.state === 'queued');
  audit(context.logger, {
    ref: target.ref,
    decision: 'retried',
    source: request.source,
    userId: request.userId,
    channelId: request.channelId,
    service: request.service,
    workspaceId: request.workspaceId,
    addresses: queued.map((invitee) => invitee.email),
    by: click.userId,
  });
  context.workRecorded();
  const skipped = result.invitees.length - queued.length;
  return plainMessage(skipped > 0 ? retryText.queuedSkipped(queued.length, skipped, target.ref) : retryText.queued(queued.length, target.ref));
}

/** The invitees at these positions that can be retried: those whose invitation failed or is unknown. */
function retriable(report: RequestReport, positions: readonly number[]): StoredInvitee[] {
  const wanted = new Set(positions);
  return report.invitees.filter((invitee) => wanted.has(invitee.position) && (invitee.state === 'failed' || invitee.state === 'unknown'));
}

/** The requester or an admin, and still someone who may invite at all. */
async function whoMayRetry(context: InviteContext, report: RequestReport, userId: string): Promise<SlackMessage | undefined> {
  const { request } = report;
  if (userId !== request.userId && !context.admins.includes(userId)) return plainMessage(retryText.notYours(userMention(request.userId)));
  const decision = await context.authorizer.check(userId);
  return decision.allowed ? undefined : denialMessage(decision.reason, request.ref);
}

/** The installation's rules as they are now (a domain blocked since, a channel bound since). */
function recheck(context: InviteContext, report: RequestReport, chosen: readonly StoredInvitee[]): SlackMessage | undefined {
  const { request } = report;
  const submission: Submission = {
    ref: request.ref,
    source: request.source,
    destination: { channelId: request.channelId, userId: request.userId },
    again: request.again,
    draft: {
      service: request.service,
      workspaceId: request.workspaceId,
      invitees: chosen.map((invitee) => ({ email: invitee.email, ...(invitee.fullName ? { fullName: invitee.fullName } : {}) })),
      ...(request.role ? { role: request.role } : {}),
      ...(request.subject !== undefined ? { subject: request.subject } : {}),
      ...(request.message !== undefined ? { message: request.message } : {}),
      requestedBy: { userId: request.userId, channelId: request.channelId, ...(request.teamId ? { teamId: request.teamId } : {}) },
    },
  };
  const mistakes = mistakesOf(check(context, submission));
  return mistakes.length > 0 ? renderProblems(problemsMrkdwn(mistakes), request.ref) : undefined;
}
