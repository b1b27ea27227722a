import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { APPROVAL_ACTIONS } from '../approval-render.js';
import { heldRequest, tellClicker, type ApprovalContext } from '../approval-flow.js';
import { readButtonClick } from '../button-click.js';
import type { HandledInteraction } from '../interactions.js';
import { slackErrorCode } from '../slack-errors.js';
import type { UrgentSlack } from '../urgent-slack.js';
import { buildDenyModal } from '../views/deny-modal.js';
import type { WorkspaceLabel } from '../render.js';
import type { StoredRequest } from '../../invitations/ledger/ledger.js';

export const DENY_REQUEST: HandledInteraction = { type: 'block_actions', actionId: APPROVAL_ACTIONS.deny };

export interface DenyRequestContext extends ApprovalContext {
  readonly slack: Pick<UrgentSlack, 'openView'>;
  /** How the request's workspace is named in the form, from what is known without asking the service. */
  readonly label: (request: StoredRequest) => WorkspaceLabel;
}

/** An approver's Deny: a short form asks for an optional reason; the submission decides (deny-reason-submission.ts). */
export function registerDenyRequest(app: App, context: DenyRequestContext): void {
  app.action<BlockAction<ButtonAction>>(APPROVAL_ACTIONS.deny, async ({ ack, body, action }) => {
    await ack();
    const click = readButtonClick(body, action);
    const held = await heldRequest(context, click.value, click.userId, 'denied');
    if (held.kind === 'refused') return tellClicker(context, click.destination, held.message, click.value);
    const form = buildDenyModal(held.report, context.label(held.report.request), { ref: click.value, channelId: click.destination.channelId });
    try {
      await context.slack.openView(click.triggerId, form);
    } catch (error) {
      context.logger.warn({ event: 'deny_form_failed', ref: click.value, slackError: slackErrorCode(error) }, 'could not open the deny form');
    }
  });
}
