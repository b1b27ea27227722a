import { audit, auditIdentity, type AuditRecord } from '../audit.js';
import type { ApprovalPolicyConfig, InvitePolicyConfig } from '../config.js';
import { requestIdentity, type Acting } from '../identity/accounts.js';
import { approvalReason, approversOf } from '../invitations/approval.js';
import type { GuardSettings, Ledger, OverBudget, RequestIdentity, RequestSource, StoredInvitee, StoredRequest } from '../invitations/ledger/ledger.js';
import { hasUnresolved, type InvitationDraft, type InvitationRequest, type ServiceName } from '../invitations/request.js';
import { validateInvitationDraft, type ValidationContext, type ValidationProblem, type ValidationResult } from '../invitations/validation.js';
import type { Workspace, WorkspaceDirectory } from '../invitations/workspaces.js';
import type { Logger } from '../logger.js';
import type { Metrics, RequestOutcome } from '../metrics.js';
import { approvalText, identityText, linkText, roleLabel, SERVICE_LABELS, slackText, type Sender } from '../messages.js';
import { approversMrkdwn } from './approval-render.js';
import type { Authorizer, Denial } from './authorization.js';
import type { Destination, PrivateNotices } from './private-notices.js';
import { channelMention, escapeMrkdwn, slackDateTime } from './mrkdwn.js';
import { resolveMentions } from './people.js';
import type { UrgentSlack } from './urgent-slack.js';
import { plainMessage, workspaceMrkdwn, type SlackMessage, type WorkspaceLabel } from './render.js';
import { resolveNamedWorkspace } from './workspace-names.js';
import { connectPromptMessage } from './connect-prompt.js';
import { needingLink, personOf, type IdentityAccess, type PersonalView } from './identity-access.js';

/** What the listeners need, injected by createApp. */
export interface InviteContext {
  readonly services: readonly ServiceName[];
  readonly policy: InvitePolicyConfig;
  readonly authorizer: Authorizer;
  /** Answers only the requester sees. */
  readonly notices: PrivateNotices;
  /** Slack calls made while someone waits: a permission check, a colleague's address, a form. */
  readonly slack: UrgentSlack;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Workspace titles and searches with the shared accounts (a person's own view: `identity.view`). */
  readonly workspaces: WorkspaceDirectory;
  /** How each person acts in each service (their own linked account, or the bot's), and connect links. */
  readonly identity: IdentityAccess;
  /** Where people open a workspace in a browser, for services that have a stable address. */
  readonly workspaceUrl: (service: ServiceName, workspaceId: string) => string | undefined;
  /** Every accepted request is written here before anyone is told it was accepted. */
  readonly ledger: Ledger;
  /** Tells the sender that there is new work. */
  readonly workRecorded: () => void;
  /** Slack user ids who may retry anyone's failed invitations. */
  readonly admins: readonly string[];
  readonly now: () => number;
}

/** One request from Slack on its way through the steps below: what it asks, and where to answer. */
export interface Submission {
  readonly ref: string;
  readonly source: RequestSource;
  readonly destination: Destination;
  readonly draft: InvitationDraft;
  /** `--again`: invite even those invited to the same workspace within the duplicate window. */
  readonly again: boolean;
  /** Known already when the workspace was found by name. */
  readonly workspaceTitle?: string;
}

/** The channel's bound workspace, when it has one. */
export function channelWorkspace(policy: InvitePolicyConfig, channelId: string | undefined) {
  return channelId ? policy.channelWorkspaces[channelId] : undefined;
}

/** Fills in the channel's workspace where the request names none (by id or by name). */
export function withChannelDefaults(draft: InvitationDraft, policy: InvitePolicyConfig, channelId: string | undefined): InvitationDraft {
  const bound = channelWorkspace(policy, channelId);
  if (!bound || draft.workspaceId !== undefined || draft.unresolved?.workspaceName !== undefined) return draft;
  if (draft.service !== undefined && draft.service.toLowerCase() !== bound.service) return draft;
  return { ...draft, service: bound.service, workspaceId: bound.workspaceId };
}

function validationContext(context: Pick<InviteContext, 'services' | 'policy'>, channelId: string | undefined): ValidationContext {
  const bound = channelWorkspace(context.policy, channelId);
  return {
    enabledServices: context.services,
    maxInvitees: context.policy.maxPerRequest,
    internalDomains: context.policy.internalDomains,
    blockedDomains: context.policy.blockedDomains,
    ...(bound && context.policy.restrictToChannelWorkspace ? { requiredWorkspace: bound } : {}),
  };
}

/** The one check of a draft: with parts still unresolved, it judges everything else. */
export function check(context: Pick<InviteContext, 'services' | 'policy'>, submission: Submission): ValidationResult {
  return validateInvitationDraft(submission.draft, validationContext(context, submission.draft.requestedBy.channelId));
}

/** Problems a person must fix (as opposed to things left out, which a form can ask for). */
export function mistakesOf(result: ValidationResult): ValidationProblem[] {
  return result.ok ? [] : result.problems.filter((problem) => !problem.missing);
}

/** Things left out that a form can ask for. */
export function missingOf(result: ValidationResult): ValidationProblem[] {
  return result.ok ? [] : result.problems.filter((problem) => problem.missing);
}

export function problemsMrkdwn(problems: readonly ValidationProblem[]): string[] {
  return problems.map((problem) => escapeMrkdwn(problem.message));
}

/** One line of the audit trail and the matching count in the metrics. */
/** What can become of a submission itself (decisions on it later, such as an approval, are audited where they happen). */
type SubmissionDecision = 'accepted' | 'refused' | 'denied' | 'busy' | 'form_opened' | 'link_requested';

export function decide(
  context: Pick<InviteContext, 'logger' | 'metrics'>,
  submission: Submission,
  record: Omit<AuditRecord, 'ref' | 'source' | 'userId' | 'decision'> & { readonly decision: SubmissionDecision },
): void {
  const { draft } = submission;
  audit(context.logger, {
    ref: submission.ref,
    source: submission.source,
    userId: draft.requestedBy.userId,
    ...(draft.requestedBy.teamId ? { teamId: draft.requestedBy.teamId } : {}),
    channelId: submission.destination.channelId,
    ...record,
  });
  context.metrics.request(submission.source === 'command' ? 'command' : 'interaction', AUDIT_TO_OUTCOME[record.decision]);
}

const AUDIT_TO_OUTCOME: Readonly<Record<SubmissionDecision, RequestOutcome>> = {
  accepted: 'accepted',
  refused: 'refused',
  denied: 'denied',
  busy: 'busy',
  form_opened: 'form_opened',
  link_requested: 'link_requested',
};

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

/** Who asks may invite, or the message that says why not (already audited). */
export async function authorize(context: InviteContext, submission: Submission): Promise<SlackMessage | undefined> {
  const decision = await context.authorizer.check(submission.draft.requestedBy.userId);
  if (decision.allowed) return undefined;
  decide(context, submission, { decision: 'denied', reason: decision.reason });
  return denialMessage(decision.reason, submission.ref);
}

/** What a request waits for while its owner connects their account: the submission, stored with the connect link. */
export interface PendingSubmission {
  readonly kind: 'submission';
  readonly submission: Submission;
}

/** The services a submission is looked up in, and the directory that searches them as the person would. */
export type Scope =
  | { readonly kind: 'ready'; readonly services: readonly ServiceName[]; readonly view: PersonalView }
  | { readonly kind: 'connect'; readonly message: SlackMessage };

/** The configured service the draft names, if any. */
export function namedService(context: Pick<InviteContext, 'services'>, draft: InvitationDraft): ServiceName | undefined {
  const lower = draft.service?.trim().toLowerCase();
  return context.services.find((service) => service === lower);
}

/**
 * Which services the request can concern: the one it names, or every configured one, narrowed to those
 * the person can act in (their linked account, or the shared one where that is allowed). With none left,
 * the answer is a connect button: the submission waits for them with the link.
 */
export async function scope(context: InviteContext, submission: Submission): Promise<Scope> {
  const named = namedService(context, submission.draft);
  const candidates = named ? [named] : context.services;
  const view = await context.identity.view(personOf(submission.draft.requestedBy), candidates);
  const usable = candidates.filter((service) => view.acting[service]?.kind !== 'needs_link');
  if (usable.length > 0) return { kind: 'ready', services: usable, view };
  return { kind: 'connect', message: await connectMessage(context, submission, needingLink(view, candidates)) };
}

/** Who searched and will send: the person's own account in any of the services, or only the bot's. */
export function senderIn(view: PersonalView, services: readonly ServiceName[]): Sender {
  return services.some((service) => view.acting[service]?.kind === 'linked') ? 'you' : 'bot';
}

/**
 * Only to the person: connect (or reconnect) these services, one button each; the submission is kept with
 * each link for 10 minutes and runs as them once they are connected. Audited as `link_requested`.
 */
export async function connectMessage(
  context: InviteContext,
  submission: Submission,
  needs: readonly Extract<Acting, { kind: 'needs_link' }>[],
  /** `form`: a bare `/invite` by someone who can use no service yet; nothing waits, they run it again. */
  purpose: 'request' | 'form' = 'request',
): Promise<SlackMessage> {
  const person = personOf(submission.draft.requestedBy);
  const pending: PendingSubmission | { readonly kind: 'none' } = purpose === 'form' ? { kind: 'none' } : { kind: 'submission', submission };
  let buttons;
  try {
    buttons = await Promise.all(needs.map(async (need) => ({ service: need.service, url: await context.identity.connectUrl(person, need.service, pending), reconnect: need.reason === 'broken' })));
  } catch (error) {
    context.logger.error({ event: 'connect_link_failed', ref: submission.ref, error: error instanceof Error ? error.message : String(error) }, 'could not create a connect link');
    decide(context, submission, { decision: 'busy', reason: 'store_unavailable' });
    return plainMessage(slackText.storeUnavailable(submission.ref));
  }
  const [only] = needs;
  const labels = needs.map((need) => SERVICE_LABELS[need.service]);
  const text =
    purpose === 'form'
      ? linkText.connectForForm(labels)
      : needs.length === 1 && only
      ? only.reason === 'broken'
        ? linkText.reconnectToSend(SERVICE_LABELS[only.service])
        : linkText.connectToSend(SERVICE_LABELS[only.service])
      : linkText.connectToSearch(labels);
  decide(context, submission, { decision: 'link_requested', reason: needs.map((need) => `${need.service}_${need.reason}`).join(',') });
  return connectPromptMessage(text, buttons, slackText.reference(submission.ref));
}

export type Identification = { readonly kind: 'acting'; readonly identity?: RequestIdentity } | { readonly kind: 'connect'; readonly message: SlackMessage };

/**
 * The identity the checked request will be sent with: the requester's linked account, or the shared one;
 * or, if they must connect first (a link that broke meanwhile), the connect button.
 */
export async function identify(context: InviteContext, submission: Submission, service: ServiceName): Promise<Identification> {
  const acting = await context.identity.acting(personOf(submission.draft.requestedBy), service);
  if (acting.kind === 'needs_link') return { kind: 'connect', message: await connectMessage(context, submission, [acting]) };
  const identity = requestIdentity(acting, context.identity.configured);
  return identity ? { kind: 'acting', identity } : { kind: 'acting' };
}

export type Resolution =
  | { readonly kind: 'resolved'; readonly submission: Submission }
  /** Something named cannot be used (a colleague without an address, a name that matches nothing). */
  | { readonly kind: 'refused'; readonly reason: string; readonly problemsMrkdwn: readonly string[] }
  /** A workspace name matched several: the form can offer exactly these. */
  | { readonly kind: 'choose'; readonly name: string; readonly candidates: readonly Workspace[]; readonly problemMrkdwn: string; readonly submission: Submission };

/**
 * Looks up what the draft names: colleagues' addresses in Slack, a workspace by name in the services.
 * `workspaceOnly` leaves colleagues for later (a form that opens anyway lets people pick them there).
 */
export async function resolve(
  context: InviteContext,
  submission: Submission,
  timeoutMs: number,
  ready: Extract<Scope, { kind: 'ready' }>,
  workspaceOnly = false,
): Promise<Resolution> {
  const { draft } = submission;
  const colleagueIds = workspaceOnly ? [] : (draft.unresolved?.colleagueIds ?? []);
  const name = draft.unresolved?.workspaceName;
  // Names are searched as the person: with their own account where linked, so they find what they may invite to.
  const names = { services: ready.services, workspaces: ready.view.directory, workspaceUrl: context.workspaceUrl };
  const [colleagues, named] = await Promise.all([
    resolveMentions(context.slack, colleagueIds, context.logger),
    name === undefined ? undefined : resolveNamedWorkspace(name, draft, names, timeoutMs, senderIn(ready.view, ready.services)),
  ]);
  if (colleagues.problems.length > 0) return { kind: 'refused', reason: 'input', problemsMrkdwn: colleagues.problems };
  const stillUnresolved = { colleagueIds: workspaceOnly ? (draft.unresolved?.colleagueIds ?? []) : [] };
  const withColleagues: Submission = { ...submission, draft: { ...draft, invitees: [...draft.invitees, ...colleagues.invitees], unresolved: stillUnresolved } };
  if (!named) return { kind: 'resolved', submission: withColleagues };
  switch (named.kind) {
    case 'found':
      return {
        kind: 'resolved',
        submission: {
          ...withColleagues,
          draft: { ...withColleagues.draft, service: named.workspace.service, workspaceId: named.workspace.id },
          workspaceTitle: named.workspace.title,
        },
      };
    case 'choose':
      return { kind: 'choose', name: named.name, candidates: named.candidates, problemMrkdwn: named.problemMrkdwn, submission: withColleagues };
    case 'refused':
      return { kind: 'refused', reason: named.reason, problemsMrkdwn: [named.problemMrkdwn] };
  }
}

export type Recorded =
  | { readonly kind: 'accepted'; readonly request: StoredRequest; readonly invitees: readonly StoredInvitee[] }
  | { readonly kind: 'refused'; readonly message: SlackMessage }
  | { readonly kind: 'unavailable'; readonly message: SlackMessage };

/**
 * Writes the checked request to the ledger through the budget and duplicate guards; only then may anyone
 * be told it was accepted. A store that cannot take it is the one reason to turn a request away as busy.
 */
export async function record(context: InviteContext, submission: Submission, request: InvitationRequest, identity?: RequestIdentity): Promise<Recorded> {
  const described = { ...describe(request), ...(identity ? { identity: auditIdentity(identity) } : {}) };
  const { policy } = context;
  const approvalNeeded = approvalReason(request, policy.approval, policy.internalDomains);
  let result;
  try {
    result = await context.ledger.record(
      {
        ref: submission.ref,
        source: submission.source,
        request,
        channelId: submission.destination.channelId,
        ...(submission.destination.responseUrl ? { responseUrl: submission.destination.responseUrl } : {}),
        ...(submission.workspaceTitle ? { workspaceTitle: submission.workspaceTitle } : {}),
        again: submission.again,
        ...(approvalNeeded ? { approval: { reason: approvalNeeded, expiresAt: context.now() + policy.approval.expiryMs } } : {}),
        ...(identity ? { identity } : {}),
      },
      guardSettings(policy),
      context.now(),
    );
  } catch (error) {
    context.logger.error({ event: 'ledger_unavailable', ref: submission.ref, error: error instanceof Error ? error.message : String(error) }, 'could not record a request');
    decide(context, submission, { ...described, decision: 'busy', reason: 'store_unavailable' });
    return { kind: 'unavailable', message: plainMessage(slackText.storeUnavailable(submission.ref)) };
  }
  if (result.kind === 'over_budget') {
    const { budget } = result;
    decide(context, submission, { ...described, decision: 'refused', reason: 'over_budget' });
    return { kind: 'refused', message: overBudgetMessage(budget, submission.ref) };
  }
  const held = result.request.approval?.reason;
  decide(context, submission, { ...described, decision: 'accepted', skipped: result.invitees.filter((invitee) => invitee.state === 'skipped').length, ...(held ? { approval: held } : {}) });
  context.workRecorded();
  return { kind: 'accepted', request: result.request, invitees: result.invitees };
}

export function overBudgetMessage(budget: OverBudget, ref: string): SlackMessage {
  const text = slackText.overBudget(budget.limit, Math.round(budget.windowMs / 60_000), budget.remaining, budget.availableAt ? slackDateTime(budget.availableAt) : undefined);
  return plainMessage(`${text} (${slackText.reference(ref)})`);
}

/** The guards' settings as the ledger takes them. */
export function guardSettings(policy: InvitePolicyConfig): GuardSettings {
  return { budget: { limit: policy.userBudget.invitations, windowMs: policy.userBudget.windowMs }, duplicateWindowMs: policy.duplicateWindowMs };
}

function describe(request: InvitationRequest): Omit<AuditRecord, 'ref' | 'source' | 'userId' | 'decision'> {
  return {
    service: request.service,
    workspaceId: request.workspaceId,
    addresses: request.invitees.map((invitee) => invitee.email),
    ...(request.service === 'kantata' ? { role: request.role } : {}),
    ...(request.message ? { messageLength: [...request.message].length } : {}),
  };
}

export function workspaceLabel(context: Pick<InviteContext, 'workspaceUrl'>, service: ServiceName, workspaceId: string, title: string | undefined): WorkspaceLabel {
  const url = context.workspaceUrl(service, workspaceId);
  return { ...(title ? { title } : {}), ...(url ? { url } : {}) };
}

/**
 * What the person is told once the request is in the ledger: how many are on their way (or that approvers
 * must decide first), where, and as what. The role is named in the project's words when a search or lookup
 * has just seen its team names; nothing is looked up for it, since this answer is the ack.
 */
export function acceptedMessage(context: Pick<InviteContext, 'workspaceUrl' | 'workspaces' | 'policy'>, recorded: Extract<Recorded, { kind: 'accepted' }>): SlackMessage {
  const { request, invitees } = recorded;
  const queued = invitees.filter((invitee) => invitee.state !== 'skipped').length;
  const where = workspaceMrkdwn(request.workspaceId, workspaceLabel(context, request.service, request.workspaceId, request.workspaceTitle));
  if (request.approval && request.status === 'awaiting_approval') return awaitingApprovalMessage(context.policy.approval, request, request.approval, queued, where);
  const teams = context.workspaces.knownWorkspace(request.service, request.workspaceId)?.teams;
  const role = request.role ? escapeMrkdwn(roleLabel(request.role, teams)) : undefined;
  const text =
    queued === 0
      ? slackText.allSkipped(SERVICE_LABELS[request.service], where)
      : slackText.accepted(queued, SERVICE_LABELS[request.service], where, invitees.length - queued, role);
  const sentAs = queued > 0 && request.identity ? ` ${acceptedIdentity(request.identity, SERVICE_LABELS[request.service])}` : '';
  return plainMessage(`${text}${sentAs}`);
}

function acceptedIdentity(identity: RequestIdentity, serviceLabel: string): string {
  if (identity.kind === 'shared') return identityText.acceptedAsBot(serviceLabel);
  return identityText.acceptedAsYou(serviceLabel, identity.serviceUserName ? `*${escapeMrkdwn(identity.serviceUserName)}*` : undefined);
}

/** True while the submission still names things to look up. */
export function needsLookups(submission: Submission): boolean {
  return hasUnresolved(submission.draft);
}

/** The requester's answer when approvers must decide first: why, whom it went to, and until when. */
function awaitingApprovalMessage(policy: ApprovalPolicyConfig, request: StoredRequest, approval: NonNullable<StoredRequest['approval']>, count: number, whereMrkdwn: string): SlackMessage {
  const asked = policy.channel ? approvalText.approversInChannel(channelMention(policy.channel)) : approversMrkdwn(approversOf(policy), request.userId);
  return plainMessage(approvalText.awaiting(count, SERVICE_LABELS[request.service], whereMrkdwn, approval.reason, asked, slackDateTime(approval.expiresAt)));
}
