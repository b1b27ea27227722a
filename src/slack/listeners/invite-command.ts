import type { App } from '@slack/bolt';
import { audit } from '../../audit.js';
import { SERVICE_NAMES, type ServiceName } from '../../invitations/request.js';
import { parseRole } from '../../invitations/validation.js';
import { slackText } from '../../messages.js';
import { newReference } from '../../reference.js';
import type { WorkQueue } from '../../work-queue.js';
import { formatPeople, parseInviteCommand, type ParsedInvite } from '../inline-command.js';
import {
  acceptedText,
  denialMessage,
  precheck,
  problemsMrkdwn,
  runInvite,
  splitPeople,
  withChannelDefaults,
  type InviteContext,
  type PendingInvite,
} from '../invite-flow.js';
import { escapeMrkdwn } from '../mrkdwn.js';
import { plainMessage, renderHelp, renderProblems } from '../render.js';
import { slackErrorCode } from '../slack-errors.js';
import { buildInviteModal, type InviteModalMetadata, type InviteModalPrefill } from '../views/invite-modal.js';

export const INVITE_COMMAND = '/invite';

function knownService(name: string | undefined, services: readonly ServiceName[]): ServiceName | undefined {
  const lower = name?.toLowerCase() ?? '';
  return (SERVICE_NAMES as readonly string[]).includes(lower) && services.includes(lower as ServiceName) ? (lower as ServiceName) : undefined;
}

function prefillFrom(pending: PendingInvite, invite: ParsedInvite | undefined, services: readonly ServiceName[]): InviteModalPrefill {
  const service = knownService(pending.fields.service, services);
  const role = pending.fields.role ? parseRole(pending.fields.role) : undefined;
  const peopleText = invite ? formatPeople(invite.people) : '';
  const workspaceId = pending.fields.workspaceId;
  return {
    ...(service ? { service } : {}),
    ...(workspaceId && /^\d+$/.test(workspaceId) ? { workspaceId } : {}),
    ...(peopleText ? { peopleText } : {}),
    ...(pending.mentionIds.length > 0 ? { colleagueIds: pending.mentionIds } : {}),
    ...(role ? { role } : {}),
    ...(pending.fields.message ? { message: pending.fields.message } : {}),
    ...(pending.again ? { again: true } : {}),
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
 * `/invite`. The fast half answers within Slack's 3 seconds: help, a refusal for people who may not
 * invite, input mistakes (only to the person who typed them), the modal when something is missing, or an
 * acknowledgement. The slow half is queued.
 */
export function registerInviteCommand(app: App, context: InviteContext & { queue: WorkQueue }): void {
  const { services, logger, queue, policy } = context;

  app.command(INVITE_COMMAND, async ({ command, ack, client }) => {
    const ref = newReference();
    const parsed = parseInviteCommand(command.text ?? '');
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...renderHelp(services) });
      return;
    }
    const metadata: InviteModalMetadata = {
      channelId: command.channel_id,
      userId: command.user_id,
      ...(command.team_id ? { teamId: command.team_id } : {}),
      ...(command.response_url ? { responseUrl: command.response_url } : {}),
    };
    const base = { ref, source: 'command' as const, userId: command.user_id, channelId: command.channel_id, ...(command.team_id ? { teamId: command.team_id } : {}) };

    const decision = await context.authorizer.check(command.user_id);
    if (!decision.allowed) {
      audit(logger, { ...base, decision: 'denied', reason: decision.reason });
      await ack({ response_type: 'ephemeral', ...denialMessage(decision.reason, ref) });
      return;
    }

    const invite = parsed.kind === 'invite' ? parsed.invite : undefined;
    const pending: PendingInvite = {
      ref,
      source: 'command',
      destination: metadata,
      requester: { userId: command.user_id, channelId: command.channel_id, ...(command.team_id ? { teamId: command.team_id } : {}) },
      fields: withChannelDefaults(
        {
          ...(invite?.service !== undefined ? { service: invite.service } : {}),
          ...(invite?.workspaceId !== undefined ? { workspaceId: invite.workspaceId } : {}),
          ...(invite?.role !== undefined ? { role: invite.role } : {}),
          ...(invite?.message !== undefined ? { message: invite.message } : {}),
        },
        policy,
        command.channel_id,
      ),
      ...splitPeople(invite?.people ?? []),
      again: invite?.again ?? false,
    };

    const openModal = async (pendingProblems: readonly string[]) => {
      await ack();
      try {
        await client.views.open({ trigger_id: command.trigger_id, view: buildInviteModal(services, prefillFrom(pending, invite, services), metadata) });
        audit(logger, { ...base, decision: 'form_opened' });
      } catch (error) {
        logger.warn({ event: 'modal_open_failed', ref, slackError: slackErrorCode(error) }, 'could not open the form');
        const message = pendingProblems.length > 0 ? renderProblems(pendingProblems, ref) : plainMessage(`${slackText.modalOpenFailed()} (${slackText.reference(ref)})`);
        await context.delivery.tellRequester(metadata, message, ref);
      }
    };
    if (!invite) {
      await openModal([]);
      return;
    }

    const problems = precheck(pending, context);
    const mistakes = [...parseProblems(invite), ...problemsMrkdwn(problems.filter((problem) => !problem.missing))];
    if (mistakes.length > 0) {
      audit(logger, { ...base, decision: 'refused', reason: 'input', addresses: pending.addresses.map((a) => a.email) });
      await ack({ response_type: 'ephemeral', ...renderProblems([...mistakes, ...problemsMrkdwn(problems.filter((p) => p.missing))], ref) });
      return;
    }
    if (problems.length > 0) {
      await openModal(problemsMrkdwn(problems));
      return;
    }
    const queued = queue.tryEnqueue(`invite ${ref}`, () => runInvite(pending, context));
    if (!queued) {
      audit(logger, { ...base, decision: 'busy', reason: queue.isAccepting ? 'queue_full' : 'shutting_down' });
      await ack({ response_type: 'ephemeral', text: queue.isAccepting ? slackText.busy(ref) : slackText.shuttingDown() });
      return;
    }
    await ack({ response_type: 'ephemeral', text: acceptedText(pending, services) });
  });
}
