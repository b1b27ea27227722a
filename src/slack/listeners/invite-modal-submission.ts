import type { App, SlackViewAction, ViewOutput } from '@slack/bolt';
import type { InvitationDraft, ServiceName } from '../../invitations/request.js';
import type { DraftField, ValidationProblem } from '../../invitations/validation.js';
import { modalText, SERVICE_LABELS, workspaceMenuText } from '../../messages.js';
import { newReference } from '../../reference.js';
import { parsePeopleList } from '../inline-command.js';
import type { HandledInteraction } from '../interactions.js';
import { acceptedMessage, authorize, check, decide, identify, record, resolve, scope, type InviteContext, type Submission } from '../invite-flow.js';
import { connectModalUpdate } from '../connect-prompt.js';
import { truncate } from '../mrkdwn.js';
import { BLOCK_IDS, decodeMetadata, FIELD_BLOCKS, INVITE_MODAL_CALLBACK_ID, parseWorkspaceChoice, readInviteModal } from '../views/invite-modal.js';

export const INVITE_MODAL_SUBMISSION: HandledInteraction = { type: 'view_submission', callbackId: INVITE_MODAL_CALLBACK_ID };

/** Slack shows field errors under the field; keep them short enough to read there. */
const FIELD_ERROR_LIMIT = 500;
/** Colleagues are looked up before the ack, which Slack wants within 3 seconds. */
const LOOKUP_BUDGET_MS = 2_000;

/** Field errors by block, as `response_action: errors` shows them under each field. */
class FieldErrors {
  private readonly byBlock = new Map<string, string[]>();

  add(block: string, message: string): void {
    this.byBlock.set(block, [...(this.byBlock.get(block) ?? []), message]);
  }

  /**
   * A field left empty is not reported as empty where it already says what is wrong with what was typed
   * in it (pieces that are not addresses, a menu entry that is not a workspace).
   */
  addProblems(problems: readonly ValidationProblem[], draft: InvitationDraft): void {
    const empty = (field: DraftField) => (field === 'invitees' ? draft.invitees.length === 0 : draft[field] === undefined);
    for (const problem of problems) {
      const block = FIELD_BLOCKS[problem.field];
      if (problem.missing && empty(problem.field) && this.byBlock.has(block)) continue;
      // On the form, nobody to invite means both fields are empty: say where people go.
      this.add(block, problem.field === 'invitees' && problem.missing && empty('invitees') ? modalText.atLeastOnePerson : problem.message);
    }
  }

  get empty(): boolean {
    return this.byBlock.size === 0;
  }

  answer() {
    return {
      response_action: 'errors' as const,
      errors: Object.fromEntries([...this.byBlock].map(([block, messages]) => [block, truncate(messages.join(' '), FIELD_ERROR_LIMIT)])),
    };
  }
}

/**
 * The form's submission. Mistakes go back onto the form as field errors; a good request is recorded in
 * the ledger (budget and duplicates checked there) and the form closes; its outcome is posted in the
 * channel the form was opened from.
 */
export function registerInviteModalSubmission(app: App, context: InviteContext): void {
  app.view(INVITE_MODAL_CALLBACK_ID, async ({ ack, body, view }) => {
    const { submission, errors } = readSubmission(body, view, context.services);
    const denial = await authorize(context, submission);
    if (denial) return ack({ response_action: 'errors', errors: { [BLOCK_IDS.people]: denial.text } });

    errors.addProblems(problemsOf(check(context, submission)), submission.draft);
    if (!errors.empty) return ack(refusal(context, submission, errors));

    // Someone who must connect their account first sees the connect button in place of the form.
    const ready = await scope(context, submission);
    if (ready.kind === 'connect') return ack(connectModalUpdate(ready.message));
    const resolution = await resolve(context, submission, LOOKUP_BUDGET_MS, ready);
    if (resolution.kind !== 'resolved') {
      errors.add(BLOCK_IDS.colleagues, resolution.kind === 'refused' ? resolution.problemsMrkdwn.join(' ') : resolution.problemMrkdwn);
      return ack(refusal(context, submission, errors));
    }
    const checked = check(context, resolution.submission);
    if (!checked.ok) {
      errors.addProblems(checked.problems, resolution.submission.draft);
      return ack(refusal(context, resolution.submission, errors));
    }

    const identified = await identify(context, resolution.submission, checked.request.service);
    if (identified.kind === 'connect') return ack(connectModalUpdate(identified.message));
    const recorded = await record(context, resolution.submission, checked.request, identified.identity);
    if (recorded.kind !== 'accepted') return ack({ response_action: 'errors', errors: { [BLOCK_IDS.people]: recorded.message.text } });
    await ack();
    // Held for approval: the channel hears nothing until someone decides, so the requester is told now.
    if (recorded.request.status === 'awaiting_approval') await context.notices.tell(resolution.submission.destination, acceptedMessage(context, recorded), recorded.request.ref);
  });
}

function problemsOf(result: ReturnType<typeof check>): readonly ValidationProblem[] {
  return result.ok ? [] : result.problems;
}

/** The audited refusal, as the field errors the form shows. */
function refusal(context: InviteContext, submission: Submission, errors: FieldErrors) {
  decide(context, submission, { decision: 'refused', reason: 'input', addresses: submission.draft.invitees.map((invitee) => invitee.email) });
  return errors.answer();
}

/** The form's values as a submission, with the problems of reading them (pieces that are not people, a menu entry that is not a workspace). */
function readSubmission(body: SlackViewAction, view: ViewOutput, services: readonly ServiceName[]): { submission: Submission; errors: FieldErrors } {
  const userId = body.user.id;
  const metadata = decodeMetadata(view.private_metadata);
  const teamId = body.user.team_id ?? body.team?.id;
  const channelId = metadata?.channelId ?? userId;
  const values = readInviteModal(view.state?.values as Parameters<typeof readInviteModal>[0]);
  const typed = parsePeopleList(values.peopleText);
  const choice = values.workspace !== undefined ? parseWorkspaceChoice(values.workspace) : undefined;
  const chosen = choice?.kind === 'workspace' ? choice : undefined;
  // The workspace's own service decides; the service select only narrowed the search.
  const service = chosen?.service ?? values.service ?? (services.length === 1 ? services[0] : undefined);

  const errors = new FieldErrors();
  if (choice?.kind === 'not_a_workspace') errors.add(BLOCK_IDS.workspace, workspaceMenuText.notAnOption());
  const narrowedTo = services.find((candidate) => candidate === values.service);
  if (chosen && narrowedTo && narrowedTo !== chosen.service) {
    errors.add(BLOCK_IDS.workspace, workspaceMenuText.wrongService(SERVICE_LABELS[chosen.service], SERVICE_LABELS[narrowedTo]));
  }
  if (typed.unparseable.length > 0) errors.add(BLOCK_IDS.people, modalText.notAddresses(typed.unparseable));
  if (typed.notPeople.length > 0) errors.add(BLOCK_IDS.people, modalText.notPeople(typed.notPeople));

  const submission: Submission = {
    ref: newReference(),
    source: 'modal',
    destination: { channelId, userId, ...(metadata?.responseUrl ? { responseUrl: metadata.responseUrl } : {}) },
    draft: {
      requestedBy: { userId, channelId, ...(teamId ? { teamId } : {}) },
      invitees: typed.people.flatMap((person) => (person.kind === 'address' ? [{ email: person.email, ...(person.fullName ? { fullName: person.fullName } : {}) }] : [])),
      unresolved: { colleagueIds: [...new Set([...typed.people.flatMap((person) => (person.kind === 'mention' ? [person.userId] : [])), ...values.colleagueIds])] },
      ...(service ? { service } : {}),
      ...(chosen ? { workspaceId: chosen.id } : {}),
      // A select cannot be cleared once chosen, so a role left over from trying Kantata is not held against Huddle.
      ...(values.role && service !== 'huddle' ? { role: values.role } : {}),
      ...(values.subject ? { subject: values.subject } : {}),
      ...(values.message ? { message: values.message } : {}),
    },
    again: values.again,
  };
  return { submission, errors };
}
