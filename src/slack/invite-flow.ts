import type { webApi } from '@slack/bolt';
import type { InvitationResult } from '../invitations/outcome.js';
import type { InvitationDraft, InvitationRequest, Requester, ServiceName } from '../invitations/request.js';
import { validateInvitationDraft, type ValidationProblem } from '../invitations/validation.js';
import type { Logger } from '../logger.js';
import { SERVICE_LABELS, slackText } from '../messages.js';
import type { Delivery, Destination } from './delivery.js';
import type { ParsedPerson } from './inline-command.js';
import { escapeMrkdwn } from './mrkdwn.js';
import { resolveMentions } from './people.js';
import { renderFailureReplies, renderProblems, renderSummary, workspaceMrkdwn } from './render.js';

export interface InvitationSender {
  send(request: InvitationRequest): Promise<InvitationResult>;
}

/** What the listeners need, injected by createApp. */
export interface InviteContext {
  readonly services: readonly ServiceName[];
  readonly invitations: InvitationSender;
  readonly delivery: Delivery;
  readonly client: webApi.WebClient;
  readonly logger: Logger;
}

/** A request as a listener understood it, before mentions are looked up. */
export interface PendingInvite {
  readonly ref: string;
  readonly destination: Destination;
  readonly requester: Requester;
  readonly fields: Omit<InvitationDraft, 'invitees' | 'requestedBy'>;
  readonly addresses: readonly { email: string; fullName?: string }[];
  readonly mentionIds: readonly string[];
}

export function splitPeople(people: readonly ParsedPerson[]): { addresses: { email: string; fullName?: string }[]; mentionIds: string[] } {
  return {
    addresses: people.flatMap((p) => (p.kind === 'address' ? [{ email: p.email, ...(p.fullName ? { fullName: p.fullName } : {}) }] : [])),
    mentionIds: people.flatMap((p) => (p.kind === 'mention' ? [p.userId] : [])),
  };
}

/**
 * The check a listener can afford before acking: everything but the mentioned colleagues, who are looked
 * up afterwards (they always come with a name, and their addresses are checked before anything is sent).
 */
export function precheck(pending: Omit<PendingInvite, 'ref' | 'destination'>, services: readonly ServiceName[]): readonly ValidationProblem[] {
  const result = validateInvitationDraft(
    { ...pending.fields, invitees: pending.addresses, requestedBy: pending.requester },
    { enabledServices: services },
  );
  if (result.ok) return [];
  const hasMentions = pending.mentionIds.length > 0;
  return result.problems.filter((problem) => !(hasMentions && problem.field === 'invitees' && problem.missing && pending.addresses.length === 0));
}

export function problemsMrkdwn(problems: readonly ValidationProblem[]): string[] {
  return problems.map((problem) => escapeMrkdwn(problem.message));
}

/** The slow half: look up mentions, check the whole request, send it, deliver the outcome. */
export async function runInvite(pending: PendingInvite, context: InviteContext): Promise<void> {
  const { ref, destination } = pending;
  const log = { ref, userId: pending.requester.userId, channelId: destination.channelId };
  const mentions = await resolveMentions(context.client, pending.mentionIds, context.logger);
  const validated = validateInvitationDraft(
    { ...pending.fields, invitees: [...pending.addresses, ...mentions.invitees], requestedBy: pending.requester },
    { enabledServices: context.services },
  );
  const problems = [...mentions.problems, ...(validated.ok ? [] : problemsMrkdwn(validated.problems))];
  if (problems.length > 0 || !validated.ok) {
    context.logger.info({ event: 'invitation_refused', ...log, problems: problems.length }, 'request refused after looking up mentions');
    await context.delivery.tellRequester(destination, renderProblems(problems, ref), ref);
    return;
  }
  const result = await context.invitations.send(validated.request);
  context.logger.info(
    {
      event: 'invitation_outcome',
      ...log,
      service: result.request.service,
      workspaceId: result.request.workspaceId,
      outcomes: result.outcomes.map((o) => ({
        email: o.invitee.email,
        status: o.status,
        ...(o.status === 'invited' ? {} : { kind: o.error.kind, httpStatus: o.error.httpStatus }),
      })),
      durationMs: result.durationMs,
    },
    'invitation finished',
  );
  const via = await context.delivery.postOutcome(destination, renderSummary(result, ref), renderFailureReplies(result, ref), ref);
  context.logger.info({ event: 'outcome_delivered', ...log, via }, 'outcome delivered');
}

export function acceptedText(pending: PendingInvite, services: readonly ServiceName[]): string | undefined {
  const service = (pending.fields.service?.toLowerCase() ?? (services.length === 1 ? services[0] : undefined)) as ServiceName | undefined;
  if (!service) return undefined;
  const count = new Set([...pending.addresses.map((a) => a.email.toLowerCase()), ...pending.mentionIds]).size;
  return slackText.accepted(count, SERVICE_LABELS[service], workspaceMrkdwn(service, pending.fields.workspaceId ?? ''));
}
