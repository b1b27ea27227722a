import type { App } from '@slack/bolt';
import { audit } from '../../audit.js';
import type { ServiceName } from '../../invitations/request.js';
import { modalText, SERVICE_LABELS, slackText, workspaceMenuText } from '../../messages.js';
import { newReference } from '../../reference.js';
import type { WorkQueue } from '../../work-queue.js';
import { parsePeopleList } from '../inline-command.js';
import { denialMessage, precheck, runInvite, splitPeople, type InviteContext, type PendingInvite } from '../invite-flow.js';
import { truncate } from '../mrkdwn.js';
import { BLOCK_IDS, decodeMetadata, FIELD_BLOCKS, INVITE_MODAL_CALLBACK_ID, parseWorkspaceChoice, readInviteModal } from '../views/invite-modal.js';

/** Slack shows field errors under the field; keep them short enough to read there. */
const FIELD_ERROR_LIMIT = 500;

/**
 * The form's submission. Mistakes go back onto the form as field errors; a good request closes it and
 * is queued, and its outcome is posted in the channel the form was opened from.
 */
export function registerInviteModalSubmission(app: App, context: InviteContext & { queue: WorkQueue }): void {
  const { services, logger, queue } = context;

  app.view(INVITE_MODAL_CALLBACK_ID, async ({ ack, body, view }) => {
    const ref = newReference();
    const userId = body.user.id;
    const metadata = decodeMetadata(view.private_metadata);
    const destination = { channelId: metadata?.channelId ?? userId, userId, ...(metadata?.responseUrl ? { responseUrl: metadata.responseUrl } : {}) };
    const teamId = body.user.team_id ?? body.team?.id;
    const base = { ref, source: 'modal' as const, userId, channelId: destination.channelId, ...(teamId ? { teamId } : {}) };

    const decision = await context.authorizer.check(userId);
    if (!decision.allowed) {
      audit(logger, { ...base, decision: 'denied', reason: decision.reason });
      await ack({ response_action: 'errors', errors: { [BLOCK_IDS.people]: denialMessage(decision.reason, ref).text } });
      return;
    }

    const values = readInviteModal(view.state?.values as Parameters<typeof readInviteModal>[0]);
    const typed = parsePeopleList(values.peopleText);
    const { addresses, mentionIds } = splitPeople(typed.people);
    const choice = values.workspace !== undefined ? parseWorkspaceChoice(values.workspace) : undefined;
    const chosenWorkspace = choice?.kind === 'workspace' ? choice : undefined;
    // The workspace's own service decides; the service select only narrowed the search.
    const service = chosenWorkspace?.service ?? values.service ?? (services.length === 1 ? services[0] : undefined);
    const pending: PendingInvite = {
      ref,
      source: 'modal',
      destination,
      requester: { userId, channelId: destination.channelId, ...(teamId ? { teamId } : {}) },
      fields: {
        ...(service ? { service } : {}),
        ...(chosenWorkspace ? { workspaceId: chosenWorkspace.id } : {}),
        // A select cannot be cleared once chosen, so a role left over from trying Kantata is not held against Huddle.
        ...(values.role && service !== ('huddle' satisfies ServiceName) ? { role: values.role } : {}),
        ...(values.subject ? { subject: values.subject } : {}),
        ...(values.message ? { message: values.message } : {}),
      },
      addresses,
      mentionIds: [...mentionIds, ...values.colleagueIds],
      again: values.again,
    };

    const errors = new Map<string, string[]>();
    const addError = (block: string, message: string) => errors.set(block, [...(errors.get(block) ?? []), message]);
    if (choice?.kind === 'not_a_workspace') addError(BLOCK_IDS.workspace, workspaceMenuText.notAnOption());
    const narrowedTo = services.find((candidate) => candidate === values.service);
    if (chosenWorkspace && narrowedTo && narrowedTo !== chosenWorkspace.service) {
      addError(BLOCK_IDS.workspace, workspaceMenuText.wrongService(SERVICE_LABELS[chosenWorkspace.service], SERVICE_LABELS[narrowedTo]));
    }
    if (typed.unparseable.length > 0) addError(BLOCK_IDS.people, modalText.notAddresses(typed.unparseable));
    if (typed.notPeople.length > 0) addError(BLOCK_IDS.people, modalText.notPeople(typed.notPeople));
    const nobody = addresses.length === 0 && pending.mentionIds.length === 0 && typed.unparseable.length === 0;
    if (nobody) addError(BLOCK_IDS.people, modalText.atLeastOnePerson);
    for (const problem of precheck(pending, context)) {
      if (nobody && problem.field === 'invitees') continue;
      // A menu entry that is not a workspace was reported above already.
      if (choice?.kind === 'not_a_workspace' && problem.field === 'workspaceId') continue;
      addError(FIELD_BLOCKS[problem.field], problem.message);
    }

    if (errors.size > 0) {
      audit(logger, { ...base, decision: 'refused', reason: 'input', addresses: addresses.map((a) => a.email) });
      await ack({
        response_action: 'errors',
        errors: Object.fromEntries([...errors].map(([block, messages]) => [block, truncate(messages.join(' '), FIELD_ERROR_LIMIT)])),
      });
      return;
    }
    if (!queue.tryEnqueue(`invite ${ref}`, () => runInvite(pending, context))) {
      audit(logger, { ...base, decision: 'busy', reason: queue.isAccepting ? 'queue_full' : 'shutting_down' });
      await ack({ response_action: 'errors', errors: { [BLOCK_IDS.people]: queue.isAccepting ? slackText.busy(ref) : slackText.shuttingDown() } });
      return;
    }
    await ack();
  });
}
