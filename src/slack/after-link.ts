import type { KnownBlock } from '@slack/types';
import { requestIdentity } from '../identity/accounts.js';
import type { StoredLink, StoredNonce } from '../identity/link-store.js';
import type { LinkedIdentity } from '../invitations/ledger/ledger.js';
import { linkText, SERVICE_LABELS } from '../messages.js';
import {
  acceptedMessage,
  authorize,
  check,
  decide,
  identify,
  missingOf,
  mistakesOf,
  needsLookups,
  problemsMrkdwn,
  record,
  resolve,
  scope,
  type InviteContext,
  type PendingSubmission,
  type Submission,
} from './invite-flow.js';
import type { AfterLink } from './link-routes.js';
import { escapeMrkdwn } from './mrkdwn.js';
import { plainMessage, renderProblems, type SlackMessage } from './render.js';

/** Names looked up after the link are not racing Slack's 3 seconds; the directory's own time box still applies. */
const LOOKUP_BUDGET_MS = 5_000;

type Pending = PendingSubmission | { readonly kind: 'held'; readonly ref: string } | { readonly kind: 'none' };

function readPending(text: string | undefined): Pending {
  try {
    const parsed = JSON.parse(text ?? '') as Pending;
    return parsed && (parsed.kind === 'submission' || parsed.kind === 'held') ? parsed : { kind: 'none' };
  } catch {
    return { kind: 'none' };
  }
}

/** `line` first, then `message`: one private answer saying both that the account is connected and what happened. */
function withLine(lineMrkdwn: string, message: SlackMessage): SlackMessage {
  const first: KnownBlock = { type: 'section', text: { type: 'mrkdwn', text: lineMrkdwn } };
  return { text: `${lineMrkdwn} ${message.text}`.slice(0, 4000), blocks: [first, ...message.blocks].slice(0, 50) };
}

/**
 * Once a person linked their account: requests of theirs on hold for it go on, sent as them; the request
 * that waited with the link runs through the usual steps as them (it may still be refused: a mistake, a
 * budget, a name that matches nothing); and they are told in Slack.
 */
export async function afterLink(context: InviteContext, nonce: StoredNonce, link: StoredLink): Promise<AfterLink> {
  const person = { userId: nonce.userId, ...(nonce.teamId ? { teamId: nonce.teamId } : {}) };
  const identity = requestIdentity({ kind: 'linked', link }, true) as LinkedIdentity;
  const resumed = await context.ledger.resumeAfterLink(person, link.service, identity, context.now());
  if (resumed.length > 0) context.workRecorded();
  const label = SERVICE_LABELS[link.service];
  const connected = linkText.connected(label, `*${escapeMrkdwn(link.serviceUserName ?? link.serviceUserId)}*`);
  const pending = readPending(nonce.pending);

  if (pending.kind === 'submission') {
    const { submission } = pending;
    const { outcome, message } = await runAsLinked(context, submission);
    await context.notices.tell(submission.destination, withLine(connected, message), submission.ref);
    return outcome;
  }
  const line = resumed.length > 0 ? `${connected}\n${linkText.resumedHeld(resumed.length, label)}` : connected;
  try {
    await context.slack.postMessage(nonce.userId, plainMessage(line));
  } catch (error) {
    context.logger.warn({ event: 'link_notice_failed', userId: nonce.userId, error: error instanceof Error ? error.message : String(error) }, 'could not tell a person their account is connected');
  }
  return resumed.length > 0 ? 'accepted' : 'nothing';
}

/** The waiting submission's steps, as the person now acts: what to tell them, and whether it is on its way. */
async function runAsLinked(context: InviteContext, submission: Submission): Promise<{ outcome: AfterLink; message: SlackMessage }> {
  const answered = (message: SlackMessage) => ({ outcome: 'answered' as const, message });
  const refuse = (problems: readonly string[], reason: string, current: Submission) => {
    decide(context, current, { decision: 'refused', reason, addresses: current.draft.invitees.map((invitee) => invitee.email) });
    return answered(renderProblems(problems, current.ref));
  };
  const denial = await authorize(context, submission);
  if (denial) return answered(denial);
  const early = check(context, submission);
  // No form can open now (no trigger): what is missing is asked for in words.
  const unusable = [...mistakesOf(early), ...missingOf(early)];
  if (unusable.length > 0) return refuse(problemsMrkdwn(unusable), 'input', submission);
  const ready = await scope(context, submission);
  if (ready.kind === 'connect') return answered(ready.message);
  let current = submission;
  if (needsLookups(current)) {
    const resolution = await resolve(context, current, LOOKUP_BUDGET_MS, ready);
    if (resolution.kind === 'refused') return refuse(resolution.problemsMrkdwn, resolution.reason, current);
    if (resolution.kind === 'choose') return refuse([resolution.problemMrkdwn], 'workspace_ambiguous', resolution.submission);
    current = resolution.submission;
  }
  const checked = check(context, current);
  if (!checked.ok) return refuse(problemsMrkdwn(checked.problems), 'input', current);
  const identified = await identify(context, current, checked.request.service);
  if (identified.kind === 'connect') return answered(identified.message);
  const recorded = await record(context, current, checked.request, identified.identity);
  if (recorded.kind !== 'accepted') return answered(recorded.message);
  return { outcome: 'accepted', message: acceptedMessage(context, recorded) };
}

