import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { APPROVAL_ACTIONS } from '../approval-render.js';
import { heldRequest, recordDecision, tellClicker, type ApprovalContext } from '../approval-flow.js';
import { readButtonClick } from '../button-click.js';
import type { HandledInteraction } from '../interactions.js';

export const APPROVE_REQUEST: HandledInteraction = { type: 'block_actions', actionId: APPROVAL_ACTIONS.approve };

/**
 * An approver's Approve: acked at once; then the checks (an approver, not their own request, still
 * waiting) and the decision, of which the first wins. The background shows it everywhere and sends.
 */
export function registerApproveRequest(app: App, context: ApprovalContext): void {
  app.action<BlockAction<ButtonAction>>(APPROVAL_ACTIONS.approve, async ({ ack, body, action }) => {
    await ack();
    const click = readButtonClick(body, action);
    const held = await heldRequest(context, click.value, click.userId, 'approved');
    if (held.kind === 'refused') return tellClicker(context, click.destination, held.message, click.value);
    const answer = await recordDecision(context, held.report, { kind: 'approved', by: click.userId });
    await tellClicker(context, click.destination, answer, click.value);
  });
}
