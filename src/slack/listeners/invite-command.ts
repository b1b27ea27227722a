import type { App } from '@slack/bolt';
import { parseRole } from '../../invitations/validation.js';
import { SERVICE_NAMES, type ServiceName } from '../../invitations/request.js';
import { slackText } from '../../messages.js';
import { newReference } from '../../reference.js';
import type { WorkQueue } from '../../work-queue.js';
import { formatPeople, parseInviteCommand, type ParsedInvite } from '../inline-command.js';
import { acceptedText, precheck, problemsMrkdwn, runInvite, splitPeople, type InviteContext, type PendingInvite } from '../invite-flow.js';
import { escapeMrkdwn } from '../mrkdwn.js';
import { plainMessage, renderHelp, renderProblems } from '../render.js';
import { slackErrorCode } from '../slack-errors.js';
import { buildInviteModal, type InviteModalMetadata, type InviteModalPrefill } from '../views/invite-modal.js';

export const INVITE_COMMAND = '/invite';

function knownService(name: string | undefined, services: readonly ServiceName[]): ServiceName | undefined {
  const lower = name?.toLowerCase();
  return (SERVICE_NAMES as readonly string[]).includes(lower ?? '') && services.includes(lower as ServiceName) ? (lower as ServiceName) : undefined;
}

function prefillFrom(invite: ParsedInvite, services: readonly ServiceName[]): InviteModalPrefill {
  const service = knownService(invite.service, services);
  const role = invite.role ? parseRole(invite.role) : undefined;
  const peopleText = formatPeople(invite.people);
  const colleagueIds = invite.people.flatMap((person) => (person.kind === 'mention' ? [person.userId] : []));
  return {
    ...(service ? { service } : {}),
    ...(invite.workspaceId && /^\d+$/.test(invite.workspaceId) ? { workspaceId: invite.workspaceId } : {}),
    ...(peopleText ? { peopleText } : {}),
    ...(colleagueIds.length > 0 ? { colleagueIds } : {}),
    ...(role ? { role } : {}),
    ...(invite.message ? { message: invite.message } : {}),
  };
}

/** Problems with the typed text itself: pieces that are not people at all. */
function parseProblems(invite: ParsedInvite): string[] {
  return [
    ...(invite.unparseable.length > 0 ? [slackText.unparseable(invite.unparseable.map((piece) => `\`${escapeMrkdwn(piece)}\``))] : []),
    ...(invite.notPeople.length > 0 ? [slackText.notPeople(invite.notPeople.map(escapeMrkdwn))] : []),
  ];
}

/**
 * `/invite`. The fast half answers within Slack's 3 seconds: help, input mistakes (only to the person
 * who typed them), the modal when something is missing, or an acknowledgement. The slow half is queued.
 */
export function registerInviteCommand(app: App, context: InviteContext & { queue: WorkQueue }): void {
  const { services, logger, queue } = context;

  app.command(INVITE_COMMAND, async ({ command, ack, client }) => {
    const ref = newReference();
    const parsed = parseInviteCommand(command.text ?? '');
    const metadata: InviteModalMetadata = {
      channelId: command.channel_id,
      userId: command.user_id,
      ...(command.team_id ? { teamId: command.team_id } : {}),
      ...(command.response_url ? { responseUrl: command.response_url } : {}),
    };
    const log = { ref, userId: command.user_id, channelId: command.channel_id, teamId: command.team_id };

    const openModal = async (prefill: InviteModalPrefill, pendingProblems: readonly string[]) => {
      await ack();
      try {
        await client.views.open({ trigger_id: command.trigger_id, view: buildInviteModal(services, prefill, metadata) });
        logger.info({ event: 'modal_opened', ...log }, 'invitation form opened');
      } catch (error) {
        logger.warn({ event: 'modal_open_failed', ...log, slackError: slackErrorCode(error) }, 'could not open the form');
        const message = pendingProblems.length > 0 ? renderProblems(pendingProblems, ref) : plainMessage(slackText.modalOpenFailed());
        await context.delivery.tellRequester(metadata, message, ref);
      }
    };

    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...renderHelp(services) });
      return;
    }
    if (parsed.kind === 'empty') {
      await openModal({}, []);
      return;
    }

    const { invite } = parsed;
    const pending: PendingInvite = {
      ref,
      destination: metadata,
      requester: { userId: command.user_id, channelId: command.channel_id, ...(command.team_id ? { teamId: command.team_id } : {}) },
      fields: {
        ...(invite.service !== undefined ? { service: invite.service } : {}),
        ...(invite.workspaceId !== undefined ? { workspaceId: invite.workspaceId } : {}),
        ...(invite.role !== undefined ? { role: invite.role } : {}),
        ...(invite.message !== undefined ? { message: invite.message } : {}),
      },
      ...splitPeople(invite.people),
    };
    const problems = precheck(pending, services);
    const mistakes = [...parseProblems(invite), ...problemsMrkdwn(problems.filter((problem) => !problem.missing))];
    if (mistakes.length > 0) {
      logger.info({ event: 'invitation_refused', ...log, reason: 'input', problems: mistakes.length + problems.length }, 'input mistakes');
      await ack({ response_type: 'ephemeral', ...renderProblems([...mistakes, ...problemsMrkdwn(problems.filter((p) => p.missing))], ref) });
      return;
    }
    if (problems.length > 0) {
      await openModal(prefillFrom(invite, services), problemsMrkdwn(problems));
      return;
    }
    if (!queue.isAccepting) {
      await ack({ response_type: 'ephemeral', text: slackText.shuttingDown() });
      return;
    }
    const queued = queue.tryEnqueue(`invite ${ref}`, () => runInvite(pending, context));
    logger.info({ event: queued ? 'invitation_queued' : 'invitation_rejected_busy', ...log, queueSize: queue.size }, 'inline request');
    await ack({ response_type: 'ephemeral', text: queued ? (acceptedText(pending, services) ?? '') : slackText.busy(ref) });
  });
}
