import type { webApi } from '@slack/bolt';
import { audit } from '../audit.js';
import type { InvitePolicyConfig } from '../config.js';
import type { InvitationGuard } from '../invitations/guard.js';
import type { InvitationDraft, Requester, ServiceName } from '../invitations/request.js';
import { validateInvitationDraft, type ValidationContext, type ValidationProblem } from '../invitations/validation.js';
import type { WorkspaceDirectory } from '../invitations/workspaces.js';
import type { Logger } from '../logger.js';
import { SERVICE_LABELS, slackText } from '../messages.js';
import type { Authorizer, Denial } from './authorization.js';
import type { Delivery, Destination } from './delivery.js';
import type { ParsedPerson } from './inline-command.js';
import { escapeMrkdwn, slackTime } from './mrkdwn.js';
import { resolveMentions } from './people.js';
import { plainMessage, renderFailureReplies, renderProblems, renderSummary, workspaceMrkdwn, type SlackMessage, type WorkspaceLabel } from './render.js';

/** What the listeners need, injected by createApp. */
export interface InviteContext {
  readonly services: readonly ServiceName[];
  readonly policy: InvitePolicyConfig;
  readonly guard: InvitationGuard;
  readonly authorizer: Authorizer;
  readonly delivery: Delivery;
  readonly client: webApi.WebClient;
  readonly logger: Logger;
  /** Workspace titles and searches. */
  readonly workspaces: WorkspaceDirectory;
  /** Where people open a workspace in a browser, for services that have a stable address. */
  readonly workspaceUrl: (service: ServiceName, workspaceId: string) => string | undefined;
}

/** A request as a listener understood it, before mentions are looked up. */
export interface PendingInvite {
  readonly ref: string;
  readonly source: 'command' | 'modal';
  readonly destination: Destination;
  readonly requester: Requester;
  readonly fields: Omit<InvitationDraft, 'invitees' | 'requestedBy'>;
  readonly addresses: readonly { email: string; fullName?: string }[];
  readonly mentionIds: readonly string[];
  readonly again: boolean;
  /** Known already when the workspace was found by name. */
  readonly workspaceTitle?: string;
}

export function splitPeople(people: readonly ParsedPerson[]): { addresses: { email: string; fullName?: string }[]; mentionIds: string[] } {
  return {
    addresses: people.flatMap((p) => (p.kind === 'address' ? [{ email: p.email, ...(p.fullName ? { fullName: p.fullName } : {}) }] : [])),
    mentionIds: people.flatMap((p) => (p.kind === 'mention' ? [p.userId] : [])),
  };
}

/** The channel's bound workspace, when it has one. */
export function channelWorkspace(policy: InvitePolicyConfig, channelId: string | undefined) {
  return channelId ? policy.channelWorkspaces[channelId] : undefined;
}

/** Fills in the channel's workspace where the request names none. */
export function withChannelDefaults(
  fields: PendingInvite['fields'],
  policy: InvitePolicyConfig,
  channelId: string | undefined,
): PendingInvite['fields'] {
  const bound = channelWorkspace(policy, channelId);
  if (!bound || fields.workspaceId !== undefined) return fields;
  if (fields.service !== undefined && fields.service.toLowerCase() !== bound.service) return fields;
  return { ...fields, service: bound.service, workspaceId: bound.workspaceId };
}

export function validationContext(context: Pick<InviteContext, 'services' | 'policy'>, channelId: string | undefined): ValidationContext {
  const bound = channelWorkspace(context.policy, channelId);
  return {
    enabledServices: context.services,
    maxInvitees: context.policy.maxPerRequest,
    internalDomains: context.policy.internalDomains,
    blockedDomains: context.policy.blockedDomains,
    ...(bound && context.policy.restrictToChannelWorkspace ? { requiredWorkspace: bound } : {}),
  };
}

/**
 * The check a listener can afford before acking: everything but the mentioned colleagues, who are looked
 * up afterwards (they always come with a name, and their addresses are checked before anything is sent).
 */
export function precheck(pending: Omit<PendingInvite, 'ref' | 'destination' | 'source' | 'again'>, context: Pick<InviteContext, 'services' | 'policy'>): readonly ValidationProblem[] {
  const result = validateInvitationDraft(
    { ...pending.fields, invitees: pending.addresses, requestedBy: pending.requester },
    validationContext(context, pending.requester.channelId),
  );
  if (result.ok) return [];
  const hasMentions = pending.mentionIds.length > 0;
  return result.problems.filter((problem) => !(hasMentions && problem.field === 'invitees' && problem.missing && pending.addresses.length === 0));
}

export function problemsMrkdwn(problems: readonly ValidationProblem[]): string[] {
  return problems.map((problem) => escapeMrkdwn(problem.message));
}

const DENIAL_TEXT: Readonly<Record<Denial, () => string>> = {
  guest: slackText.denied.guest,
  bot: slackText.denied.bot,
  deleted: slackText.denied.deleted,
  external: slackText.denied.external,
  not_allowed: slackText.denied.notAllowed,
  lookup_failed: slackText.denied.lookupFailed,
};

export function denialMessage(reason: Denial, ref: string): SlackMessage {
  return plainMessage(`${DENIAL_TEXT[reason]()} (${slackText.reference(ref)})`);
}

/** The slow half: look up mentions, check the whole request, send it through the guards, deliver the outcome. */
export async function runInvite(pending: PendingInvite, context: InviteContext): Promise<void> {
  const { ref, destination, requester } = pending;
  const base = { ref, source: pending.source, userId: requester.userId, channelId: destination.channelId, ...(requester.teamId ? { teamId: requester.teamId } : {}) };
  const mentions = await resolveMentions(context.client, pending.mentionIds, context.logger);
  const validated = validateInvitationDraft(
    { ...pending.fields, invitees: [...pending.addresses, ...mentions.invitees], requestedBy: requester },
    validationContext(context, destination.channelId),
  );
  const problems = [...mentions.problems, ...(validated.ok ? [] : problemsMrkdwn(validated.problems))];
  if (problems.length > 0 || !validated.ok) {
    audit(context.logger, { ...base, decision: 'refused', reason: 'input', addresses: pending.addresses.map((a) => a.email) });
    await context.delivery.tellRequester(destination, renderProblems(problems, ref), ref);
    return;
  }
  const { request } = validated;
  const described = {
    ...base,
    service: request.service,
    workspaceId: request.workspaceId,
    addresses: request.invitees.map((invitee) => invitee.email),
    ...(request.service === 'kantata' ? { role: request.role } : {}),
    ...(request.message ? { messageLength: [...request.message].length } : {}),
  };
  const sent = await context.guard.send(request, { again: pending.again });
  if (sent.kind === 'over_budget') {
    const { budget } = sent;
    audit(context.logger, { ...described, decision: 'refused', reason: 'over_budget' });
    const text = slackText.overBudget(budget.limit, Math.round(budget.windowMs / 60_000), budget.remaining, budget.availableAt ? slackTime(budget.availableAt) : undefined);
    await context.delivery.tellRequester(destination, plainMessage(`${text} (${slackText.reference(ref)})`), ref);
    return;
  }
  const { result } = sent;
  audit(context.logger, { ...described, decision: 'sent', outcomes: result.outcomes, durationMs: result.durationMs });
  // Asked only after sending, so the invitations never wait for it; an unknown title shows the id alone.
  const title = pending.workspaceTitle ?? (await context.workspaces.title(request.service, request.workspaceId));
  const label = workspaceLabel(context, request.service, request.workspaceId, title);
  const via = await context.delivery.postOutcome(destination, renderSummary(result, ref, label), renderFailureReplies(result, ref), ref);
  context.logger.info({ event: 'outcome_delivered', ref, via }, 'outcome delivered');
}

export function workspaceLabel(context: Pick<InviteContext, 'workspaceUrl'>, service: ServiceName, workspaceId: string, title: string | undefined): WorkspaceLabel {
  const url = context.workspaceUrl(service, workspaceId);
  return { ...(title ? { title } : {}), ...(url ? { url } : {}) };
}

export function acceptedText(pending: PendingInvite, context: Pick<InviteContext, 'services' | 'workspaceUrl'>): string {
  const service = (pending.fields.service?.toLowerCase() ?? context.services[0] ?? 'kantata') as ServiceName;
  const count = new Set([...pending.addresses.map((a) => a.email.toLowerCase()), ...pending.mentionIds]).size;
  const workspaceId = pending.fields.workspaceId ?? '';
  return slackText.accepted(count, SERVICE_LABELS[service], workspaceMrkdwn(workspaceId, workspaceLabel(context, service, workspaceId, pending.workspaceTitle)));
}
