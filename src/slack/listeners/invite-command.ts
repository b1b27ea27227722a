import type { AckFn, App, RespondArguments, SlashCommand } from '@slack/bolt';
import type { ServiceName } from '../../invitations/request.js';
import { parseRole } from '../../invitations/validation.js';
import type { TeamNames, Workspace } from '../../invitations/workspaces.js';
import { slackText } from '../../messages.js';
import { newReference } from '../../reference.js';
import { formatPeople, parseInviteCommand, type ParsedInvite } from '../inline-command.js';
import {
  acceptedMessage,
  authorize,
  check,
  connectMessage,
  decide,
  missingOf,
  mistakesOf,
  identify,
  needsLookups,
  problemsMrkdwn,
  record,
  resolve,
  scope,
  senderIn,
  withChannelDefaults,
  type InviteContext,
  type Scope,
  type Submission,
} from '../invite-flow.js';
import { needingLink, personOf } from '../identity-access.js';
import { escapeMrkdwn } from '../mrkdwn.js';
import { plainMessage, renderHelp, renderProblems, type SlackMessage } from '../render.js';
import { slackErrorCode } from '../slack-errors.js';
import { buildInviteModal, type InviteModalMetadata, type InviteModalPrefill } from '../views/invite-modal.js';

export const INVITE_COMMAND = '/invite';

/**
 * A trigger_id works for 3 seconds after Slack sent the command; lookups made before opening the form
 * stop early enough to leave views.open the rest.
 */
const FORM_DEADLINE_MS = 2_300;
/** A title and team names for the form's preselected workspace are nice to have, never worth missing the trigger for. */
const PREFILL_TITLE_BUDGET_MS = 700;

/**
 * Answers one command: in the ack while nothing slow has happened, through the response_url afterwards
 * (looking things up, then answering, would risk Slack's 3 seconds).
 */
class Answerer {
  private acked = false;

  constructor(
    private readonly ack: AckFn<string | RespondArguments>,
    private readonly context: InviteContext,
    private readonly submission: Submission,
  ) {}

  /** Acknowledges with nothing yet: something slow comes next. */
  async holdOn(): Promise<void> {
    if (this.acked) return;
    this.acked = true;
    await this.ack();
  }

  async tell(message: SlackMessage): Promise<void> {
    if (this.acked) {
      await this.context.notices.tell(this.submission.destination, message, this.submission.ref);
      return;
    }
    this.acked = true;
    await this.ack({ response_type: 'ephemeral', ...message });
  }
}

/**
 * `/invite`: help; a refusal for people who may not invite; input mistakes (only to the person who typed
 * them); lookups of colleagues and workspace names; the form when something is missing or a name matches
 * several; otherwise the request is recorded in the ledger (budget and duplicates checked there) and only
 * then is the person told it was accepted. Sending happens elsewhere, from the ledger.
 */
export function registerInviteCommand(app: App, context: InviteContext): void {
  app.command(INVITE_COMMAND, async ({ command, ack }) => {
    const startedAt = Date.now();
    const parsed = parseInviteCommand(command.text ?? '');
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...renderHelp(context.services) });
      context.metrics.request('command', 'help');
      return;
    }
    const invite = parsed.kind === 'invite' ? parsed.invite : undefined;
    let submission = submissionFrom(command, invite, context);
    const answer = new Answerer(ack, context, submission);
    const remainingForForm = () => Math.max(1, startedAt + FORM_DEADLINE_MS - Date.now());
    const refuse = async (problems: readonly string[], reason: string) => {
      decide(context, submission, { decision: 'refused', reason, addresses: submission.draft.invitees.map((invitee) => invitee.email) });
      await answer.tell(renderProblems(problems, submission.ref));
    };
    const openForm = (problems: readonly string[], ready: Extract<Scope, { kind: 'ready' }>, extra: FormExtras = {}) =>
      openPrefilledForm({ context, command, submission, invite, problems, extra, answer, ready, remainingMs: remainingForForm() });

    const denial = await authorize(context, submission);
    if (denial) return answer.tell(denial);
    if (!invite) return openFormOrConnect(context, submission, answer, (ready) => openForm([], ready));

    const early = check(context, submission);
    const mistakes = [...parseProblems(invite), ...problemsMrkdwn(mistakesOf(early))];
    if (mistakes.length > 0) return refuse([...mistakes, ...problemsMrkdwn(missingOf(early))], 'input');
    // Searched and sent as the person: someone who must connect their account first is answered at once.
    const ready = await scope(context, submission);
    if (ready.kind === 'connect') return answer.tell(ready.message);
    // The form will ask for what is missing: only a named workspace is worth looking up first, to show it there.
    const formNeeded = missingOf(early).length > 0;

    if (needsLookups(submission)) {
      await answer.holdOn();
      const resolution = await resolve(context, submission, remainingForForm(), ready, formNeeded);
      if (resolution.kind === 'refused') return refuse(resolution.problemsMrkdwn, resolution.reason);
      if (resolution.kind === 'choose') {
        submission = resolution.submission;
        return openForm([resolution.problemMrkdwn], ready, { candidates: { name: resolution.name, workspaces: resolution.candidates } });
      }
      submission = resolution.submission;
    }
    if (formNeeded) return openForm(problemsMrkdwn(missingOf(check(context, submission))), ready, submission.workspaceTitle ? { title: submission.workspaceTitle } : {});

    const checked = check(context, submission);
    if (!checked.ok) {
      const mistakes = mistakesOf(checked);
      if (mistakes.length > 0) return refuse(problemsMrkdwn(mistakes), 'input');
      return openForm(problemsMrkdwn(checked.problems), ready, submission.workspaceTitle ? { title: submission.workspaceTitle } : {});
    }

    const identified = await identify(context, submission, checked.request.service);
    if (identified.kind === 'connect') return answer.tell(identified.message);
    const recorded = await record(context, submission, checked.request, identified.identity);
    await answer.tell(recorded.kind === 'accepted' ? acceptedMessage(context, recorded) : recorded.message);
  });
}

/**
 * `/invite` alone opens the form, unless the person can use no service yet: then, at once, the buttons to
 * connect their accounts (there is no request to keep: they run `/invite` again once connected).
 */
async function openFormOrConnect(context: InviteContext, submission: Submission, answer: Answerer, open: (ready: Extract<Scope, { kind: 'ready' }>) => Promise<void>): Promise<void> {
  const view = await context.identity.view(personOf(submission.draft.requestedBy), context.services);
  const usable = context.services.filter((service) => view.acting[service]?.kind !== 'needs_link');
  if (usable.length > 0) return open({ kind: 'ready', services: usable, view });
  await answer.tell(await connectMessage(context, submission, needingLink(view, context.services), 'form'));
}

function submissionFrom(command: SlashCommand, invite: ParsedInvite | undefined, context: InviteContext): Submission {
  const requestedBy = { userId: command.user_id, channelId: command.channel_id, ...(command.team_id ? { teamId: command.team_id } : {}) };
  const addresses = (invite?.people ?? []).flatMap((person) => (person.kind === 'address' ? [{ email: person.email, ...(person.fullName ? { fullName: person.fullName } : {}) }] : []));
  const colleagueIds = (invite?.people ?? []).flatMap((person) => (person.kind === 'mention' ? [person.userId] : []));
  const draft = {
    invitees: addresses,
    requestedBy,
    ...(invite?.service !== undefined ? { service: invite.service } : {}),
    ...(invite?.workspaceId !== undefined ? { workspaceId: invite.workspaceId } : {}),
    ...(invite?.role !== undefined ? { role: invite.role } : {}),
    ...(invite?.message !== undefined ? { message: invite.message } : {}),
    unresolved: { colleagueIds, ...(invite?.workspaceName !== undefined ? { workspaceName: invite.workspaceName } : {}) },
  };
  return {
    ref: newReference(),
    source: 'command',
    destination: { channelId: command.channel_id, userId: command.user_id, ...(command.response_url ? { responseUrl: command.response_url } : {}) },
    // A workspace named in the command is never replaced by the channel's.
    draft: withChannelDefaults(draft, context.policy, command.channel_id),
    again: invite?.again ?? false,
  };
}

/** Problems with the typed text itself: pieces that are not people at all. */
function parseProblems(invite: ParsedInvite): string[] {
  return [
    ...(invite.unparseable.length > 0 ? [slackText.unparseable(invite.unparseable.map((piece) => `\`${escapeMrkdwn(piece)}\``))] : []),
    ...(invite.notPeople.length > 0 ? [slackText.notPeople(invite.notPeople.map(escapeMrkdwn))] : []),
  ];
}

interface FormExtras {
  readonly candidates?: { readonly name: string; readonly workspaces: readonly Workspace[] };
  readonly title?: string;
  readonly teams?: TeamNames;
}

interface FormRequest {
  readonly context: InviteContext;
  /** The services the person can use, and their own view of the workspaces. */
  readonly ready: Extract<Scope, { kind: 'ready' }>;
  readonly command: SlashCommand;
  readonly submission: Submission;
  readonly invite: ParsedInvite | undefined;
  readonly problems: readonly string[];
  readonly extra: FormExtras;
  readonly answer: Answerer;
  readonly remainingMs: number;
}

/** Opens the form with everything understood so far; if Slack will not open it, says so privately. */
async function openPrefilledForm(request: FormRequest): Promise<void> {
  const { context, command, submission, problems, extra, answer } = request;
  await answer.holdOn();
  const { draft } = submission;
  const service = knownService(draft.service, context.services);
  // Looked up as the person when they search as themselves; a workspace found by name was just seen by that
  // search, so its team names are known without asking again.
  const { directory } = request.ready.view;
  const details =
    service && draft.workspaceId
      ? extra.title !== undefined
        ? directory.knownWorkspace(service, draft.workspaceId)
        : await directory.details(service, draft.workspaceId, Math.min(PREFILL_TITLE_BUDGET_MS, request.remainingMs))
      : undefined;
  const title = extra.title ?? details?.title;
  const metadata: InviteModalMetadata = {
    channelId: command.channel_id,
    userId: command.user_id,
    ...(command.team_id ? { teamId: command.team_id } : {}),
    ...(command.response_url ? { responseUrl: command.response_url } : {}),
  };
  try {
    const searchesAsYou = senderIn(request.ready.view, request.ready.services) === 'you';
    const prefill = {
      ...prefillFrom(submission, request.invite, context.services, { ...extra, ...(title ? { title } : {}), ...(details?.teams ? { teams: details.teams } : {}) }),
      ...(searchesAsYou ? { searchesAsYou } : {}),
    };
    await context.slack.openView(command.trigger_id, buildInviteModal(context.services, prefill, metadata));
    decide(context, submission, { decision: 'form_opened' });
  } catch (error) {
    context.logger.warn({ event: 'modal_open_failed', ref: submission.ref, slackError: slackErrorCode(error) }, 'could not open the form');
    const message = problems.length > 0 ? renderProblems(problems, submission.ref) : plainMessage(`${slackText.modalOpenFailed()} (${slackText.reference(submission.ref)})`);
    await answer.tell(message);
  }
}

function knownService(name: string | undefined, services: readonly ServiceName[]): ServiceName | undefined {
  const lower = name?.toLowerCase() ?? '';
  return services.find((service) => service === lower);
}

function prefillFrom(submission: Submission, invite: ParsedInvite | undefined, services: readonly ServiceName[], extra: FormExtras): InviteModalPrefill {
  const { draft } = submission;
  const service = knownService(draft.service, services);
  const role = draft.role ? parseRole(draft.role) : undefined;
  const peopleText = invite ? formatPeople(invite.people) : '';
  const colleagueIds = invite?.people.flatMap((person) => (person.kind === 'mention' ? [person.userId] : [])) ?? [];
  const workspaceId = draft.workspaceId;
  return {
    ...(service ? { service } : {}),
    ...(service && workspaceId && /^\d{1,18}$/.test(workspaceId)
      ? { workspace: { service, id: workspaceId, ...(extra.title ? { title: extra.title } : {}), ...(extra.teams ? { teams: extra.teams } : {}) } }
      : {}),
    ...(extra.candidates ? { candidates: extra.candidates } : {}),
    ...(peopleText ? { peopleText } : {}),
    ...(colleagueIds.length > 0 ? { colleagueIds } : {}),
    ...(role ? { role } : {}),
    ...(draft.message ? { message: draft.message } : {}),
    ...(submission.again ? { again: true } : {}),
  };
}
