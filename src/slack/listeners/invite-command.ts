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
import { plainMessage, renderHelp, renderProblems, type SlackMessage } from '../render.js';
import { slackErrorCode } from '../slack-errors.js';
import { buildInviteModal, type InviteModalMetadata, type InviteModalPrefill } from '../views/invite-modal.js';
import { resolveNamedWorkspace } from '../workspace-names.js';

export const INVITE_COMMAND = '/invite';

/**
 * A trigger_id works for 3 seconds after Slack sent the command; lookups made before opening the form
 * stop early enough to leave views.open the rest.
 */
const FORM_DEADLINE_MS = 2_300;
/** A title for the form's preselected workspace is nice to have, never worth missing the trigger for. */
const PREFILL_TITLE_BUDGET_MS = 700;

function knownService(name: string | undefined, services: readonly ServiceName[]): ServiceName | undefined {
  const lower = name?.toLowerCase() ?? '';
  return (SERVICE_NAMES as readonly string[]).includes(lower) && services.includes(lower as ServiceName) ? (lower as ServiceName) : undefined;
}

function prefillFrom(
  pending: PendingInvite,
  invite: ParsedInvite | undefined,
  services: readonly ServiceName[],
  extra: Pick<InviteModalPrefill, 'candidates'> & { title?: string } = {},
): InviteModalPrefill {
  const service = knownService(pending.fields.service, services);
  const role = pending.fields.role ? parseRole(pending.fields.role) : undefined;
  const peopleText = invite ? formatPeople(invite.people) : '';
  const workspaceId = pending.fields.workspaceId;
  return {
    ...(service ? { service } : {}),
    ...(service && workspaceId && /^\d{1,18}$/.test(workspaceId)
      ? { workspace: { service, id: workspaceId, ...(extra.title ? { title: extra.title } : {}) } }
      : {}),
    ...(extra.candidates ? { candidates: extra.candidates } : {}),
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
 * acknowledgement. A workspace given by name is looked up after the ack, time-boxed so the form can still
 * open when the name matches several. The slow half is queued.
 */
export function registerInviteCommand(app: App, context: InviteContext & { queue: WorkQueue }): void {
  const { services, logger, queue, policy } = context;

  app.command(INVITE_COMMAND, async ({ command, ack, client }) => {
    const startedAt = Date.now();
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

    // Before the ack the answer is the ack itself; afterwards it goes to the person through Delivery.
    let acked = false;
    const ackOnce = async (response?: Parameters<typeof ack>[0]) => {
      if (acked) return;
      acked = true;
      await ack(response);
    };
    const answer = async (message: SlackMessage) => {
      if (acked) await context.delivery.tellRequester(metadata, message, ref);
      else await ackOnce({ response_type: 'ephemeral', ...message });
    };
    const remainingForForm = () => Math.max(0, startedAt + FORM_DEADLINE_MS - Date.now());

    const decision = await context.authorizer.check(command.user_id);
    if (!decision.allowed) {
      audit(logger, { ...base, decision: 'denied', reason: decision.reason });
      await answer(denialMessage(decision.reason, ref));
      return;
    }

    const invite = parsed.kind === 'invite' ? parsed.invite : undefined;
    const named = invite?.workspaceName;
    const explicit = {
      ...(invite?.service !== undefined ? { service: invite.service } : {}),
      ...(invite?.workspaceId !== undefined ? { workspaceId: invite.workspaceId } : {}),
      ...(invite?.role !== undefined ? { role: invite.role } : {}),
      ...(invite?.message !== undefined ? { message: invite.message } : {}),
    };
    let pending: PendingInvite = {
      ref,
      source: 'command',
      destination: metadata,
      requester: { userId: command.user_id, channelId: command.channel_id, ...(command.team_id ? { teamId: command.team_id } : {}) },
      // A workspace named in the command is never replaced by the channel's.
      fields: named !== undefined ? explicit : withChannelDefaults(explicit, policy, command.channel_id),
      ...splitPeople(invite?.people ?? []),
      again: invite?.again ?? false,
    };

    const openModal = async (pendingProblems: readonly string[], extra: Parameters<typeof prefillFrom>[3] = {}) => {
      await ackOnce();
      const service = knownService(pending.fields.service, services);
      const workspaceId = pending.fields.workspaceId;
      const title =
        extra.title ??
        (service && workspaceId ? await context.workspaces.title(service, workspaceId, Math.min(PREFILL_TITLE_BUDGET_MS, remainingForForm())) : undefined);
      try {
        const prefill = prefillFrom(pending, invite, services, { ...extra, ...(title ? { title } : {}) });
        await client.views.open({ trigger_id: command.trigger_id, view: buildInviteModal(services, prefill, metadata) });
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

    const refuse = async (mistakes: readonly string[], reason: string) => {
      audit(logger, { ...base, decision: 'refused', reason, addresses: pending.addresses.map((a) => a.email) });
      await answer(renderProblems(mistakes, ref));
    };
    const checkInput = () => {
      const problems = precheck(pending, context).filter((problem) => !(named !== undefined && problem.field === 'workspaceId' && problem.missing));
      return { problems, mistakes: [...parseProblems(invite), ...problemsMrkdwn(problems.filter((problem) => !problem.missing))] };
    };

    let { problems, mistakes } = checkInput();
    if (mistakes.length > 0) {
      await refuse([...mistakes, ...problemsMrkdwn(problems.filter((p) => p.missing))], 'input');
      return;
    }

    if (named !== undefined) {
      await ackOnce();
      const namedService = knownService(pending.fields.service, services);
      const resolved = await resolveNamedWorkspace(pending, named, namedService ? [namedService] : services, context, Math.max(1, remainingForForm()));
      if (resolved.kind === 'refused') {
        await refuse([resolved.problemMrkdwn], resolved.reason);
        return;
      }
      if (resolved.kind === 'choose') {
        await openModal([resolved.problemMrkdwn], { candidates: { name: named, workspaces: resolved.candidates } });
        return;
      }
      pending = resolved.pending;
      ({ problems, mistakes } = checkInput());
      if (mistakes.length > 0) {
        await refuse(mistakes, 'input');
        return;
      }
    }

    if (problems.length > 0) {
      await openModal(problemsMrkdwn(problems), pending.workspaceTitle ? { title: pending.workspaceTitle } : {});
      return;
    }
    const queued = queue.tryEnqueue(`invite ${ref}`, () => runInvite(pending, context));
    if (!queued) {
      audit(logger, { ...base, decision: 'busy', reason: queue.isAccepting ? 'queue_full' : 'shutting_down' });
      await answer(plainMessage(queue.isAccepting ? slackText.busy(ref) : slackText.shuttingDown()));
      return;
    }
    await answer(plainMessage(acceptedText(pending, context)));
  });
}
