import type { App } from '@slack/bolt';
import { heldRequest, recordDecision, type ApprovalContext } from '../approval-flow.js';
import type { HandledInteraction } from '../interactions.js';
import { truncate } from '../mrkdwn.js';
import { DENY_MODAL_CALLBACK_ID, DENY_REASON_BLOCK, decodeDenyMetadata, readDenyReason } from '../views/deny-modal.js';

export const DENY_REASON_SUBMISSION: HandledInteraction = { type: 'view_submission', callbackId: DENY_MODAL_CALLBACK_ID };

/**
 * The Deny form's submission: checked again (the request may have been decided while the form was open),
 * then recorded. Anything that stops it shows on the form, which stays open.
 */
export function registerDenyReasonSubmission(app: App, context: ApprovalContext): void {
  app.view(DENY_MODAL_CALLBACK_ID, async ({ ack, body, view }) => {
    const metadata = decodeDenyMetadata(view.private_metadata);
    if (!metadata) return ack();
    const userId = body.user.id;
    const held = await heldRequest(context, metadata.ref, userId, 'denied');
    if (held.kind === 'refused') return ack(formError(held.message.text));
    const reason = readDenyReason(view.state?.values as Parameters<typeof readDenyReason>[0]);
    const answer = await recordDecision(context, held.report, { kind: 'denied', by: userId, ...(reason ? { reason } : {}) });
    if (answer) return ack(formError(answer.text));
    await ack();
  });
}

function formError(text: string) {
  return { response_action: 'errors' as const, errors: { [DENY_REASON_BLOCK]: truncate(text, 500) } };
}
