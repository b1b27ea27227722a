import type * as webApi from '@slack/web-api';
import { audit, auditIdentity } from '../audit.js';
import { asResult, type DeliveryProgress, type Ledger, type RequestReport, type StoredRequest, type SummaryMessage } from '../invitations/ledger/ledger.js';
import { PROGRESS_AFTER_INVITEES, PROGRESS_AFTER_MS, UPDATE_SPACING_MS } from '../invitations/ledger/sql-ledger.js';
import type { InvitationResult } from '../invitations/outcome.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { slackText } from '../messages.js';
import { postToResponseUrl as defaultPostToResponseUrl, type PostToResponseUrl } from './private-notices.js';
import { channelMention } from './mrkdwn.js';
import { renderCombined, renderFailureReplies, renderSummary, type SlackMessage, type WorkspaceLabel } from './render.js';
import { approversMrkdwn, renderApprovalQuestion, renderDecisionNotice } from './approval-render.js';
import type { Approvers } from '../invitations/approval.js';
import { slackErrorCode } from './slack-errors.js';

/** A response_url works for 30 minutes after the command. */
const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;
/** After this long, a result Slack would never take is given up on, loudly. */
const GIVE_UP_AFTER_MS = 24 * 3_600_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** 2 s, 4 s, 8 s and so on, up to 5 minutes between attempts while Slack keeps failing. */
function backoffMs(failures: number): number {
  return Math.min(MAX_BACKOFF_MS, 2_000 * 2 ** Math.min(failures, 10));
}

/** What the Web API client says when no answer came back (a timeout, a dropped connection). */
const UNANSWERED = 'slack_webapi_request_error';

/** Slack's answers that mean "not here, ever": try the next place rather than the same one again. */
const UNREACHABLE = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_only_channel',
  'restricted_action_non_threadable_channel',
  'team_access_not_granted',
  'ekm_access_denied',
  'no_permission',
  'missing_scope',
  'user_not_found',
  'cannot_dm_bot',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
]);

export interface OutcomeDeliveryOptions {
  readonly ledger: Ledger;
  /** The patient Web API client: outcome posts may wait as long as Slack asks. */
  readonly client: webApi.WebClient;
  readonly postToResponseUrl?: PostToResponseUrl;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** This process, as delivery leases name it. */
  readonly owner: string;
  /** How a request's workspace is shown: its title (looked up when not stored) and web address. */
  readonly label: (request: StoredRequest) => Promise<WorkspaceLabel>;
  /** Who decides on requests held for approval, and where they are asked (a channel, or each by direct message). */
  readonly approvals?: { readonly approvers: Approvers; readonly channel?: string };
  readonly now?: () => number;
  readonly pollMs?: number;
  readonly leaseMs?: number;
}

type Placement =
  | { readonly kind: 'posted'; readonly summary: SummaryMessage }
  /** Everything went out in one message that cannot be threaded or updated (a response_url). */
  | { readonly kind: 'combined' }
  /** Not posted this time; `answered`: Slack said so (else the post may have reached it unanswered). */
  | { readonly kind: 'retry'; readonly answered: boolean }
  | { readonly kind: 'nowhere' };

/**
 * Tells people how their request went, from the ledger: a summary in the channel (posted at once for
 * large or slow requests, then updated at most every 3 s), the final state, and one threaded reply per
 * distinct problem. A restarted bot (or another replica) carries on with the same message: its `ts` is in
 * the ledger. Slack being away only delays all this; nothing is lost.
 */
export class OutcomeDelivery {
  private readonly now: () => number;
  private readonly postToUrl: PostToResponseUrl;
  private readonly timers: NodeJS.Timeout[] = [];
  private running = false;
  private passing: Promise<void> | undefined;
  private passAgain = false;
  /** Requests whose decision was announced in the pass under way: their next record says so. */
  private readonly announced = new Set<number>();

  constructor(private readonly options: OutcomeDeliveryOptions) {
    this.now = options.now ?? Date.now;
    this.postToUrl = options.postToResponseUrl ?? defaultPostToResponseUrl;
  }

  start(): void {
    this.running = true;
    const timer = setInterval(() => this.wake(), this.options.pollMs ?? 500);
    timer.unref();
    this.timers.push(timer);
    this.wake();
  }

  wake(): void {
    if (!this.running) return;
    if (this.passing) {
      this.passAgain = true;
      return;
    }
    this.passing = this.passes()
      .catch((error: unknown) => this.options.logger.error({ event: 'delivery_pass_failed', error: error instanceof Error ? error.message : String(error) }, 'delivering outcomes hit a problem'))
      .finally(() => {
        this.passing = undefined;
      });
  }

  /** One last pass for what is due (a final state just reached), then stops; unfinished passes are left to the next process. */
  async stop(deadlineMs: number): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    const last = this.running ? this.passes() : Promise.resolve();
    this.running = false;
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([last, this.passing]).catch(() => undefined), new Promise((resolve) => (deadline = setTimeout(resolve, deadlineMs)))]);
    clearTimeout(deadline);
  }

  private async passes(): Promise<void> {
    do {
      this.passAgain = false;
      const due = await this.options.ledger.claimDeliveries(this.options.owner, this.now(), this.options.leaseMs ?? 30_000, 10);
      await Promise.all(due.map((report) => this.deliver(report).catch((error: unknown) => this.failed(report, error))));
      if (due.length === 10) this.passAgain = true;
    } while (this.passAgain && this.running);
  }

  private async failed(report: RequestReport, error: unknown): Promise<void> {
    this.options.logger.error({ event: 'delivery_failed', ref: report.request.ref, error: error instanceof Error ? error.message : String(error) }, 'could not deliver an outcome');
    await this.record(report, { deliveredVersion: report.request.deliveredVersion, ...this.retryLater(report.request) });
  }

  /**
   * When Slack may next be asked about this request: 3 s after the last update of a posted summary, or,
   * after failures, after a backoff that the sender's changes cannot cut short.
   */
  private nextAttemptAt(request: StoredRequest): number | undefined {
    if (request.lastUpdateAt === undefined) return undefined;
    if (request.deliveryFailures > 0) return request.lastUpdateAt + backoffMs(request.deliveryFailures - 1);
    return request.summary && request.version > request.deliveredVersion ? request.lastUpdateAt + UPDATE_SPACING_MS : undefined;
  }

  private async deliver(report: RequestReport): Promise<void> {
    const { request } = report;
    if (request.status === 'awaiting_approval') return this.askApprovers(report);
    if (request.decision && request.decisionAnnouncedAt === undefined) {
      if (!(await this.announceDecision(report))) return this.record(report, { deliveredVersion: request.deliveredVersion, ...this.retryLater(request) });
      this.announced.add(request.id);
    }
    const now = this.now();
    const result = asResult(report);
    // An approved request starts when it is approved, not when it was asked for.
    const startedAt = request.decision?.at ?? request.createdAt;
    const showsProgress = report.invitees.length > PROGRESS_AFTER_INVITEES || now - startedAt >= PROGRESS_AFTER_MS;
    if (!request.summary && !result.finished && !showsProgress) {
      // Small and quick: one message when done, unless it takes longer than a few seconds.
      // Seen as it is now; should the sender change it while this pass runs, the next pass looks at once.
      return this.record(report, { deliveredVersion: request.version, nextDueAt: startedAt + PROGRESS_AFTER_MS, nextUpdateAt: now });
    }
    const notBefore = this.nextAttemptAt(request);
    if (notBefore !== undefined && now < notBefore) {
      // Too soon after the last update (Slack: one every few seconds), or Slack is failing and we wait.
      return this.record(report, { deliveredVersion: request.deliveredVersion, nextDueAt: notBefore, nextUpdateAt: notBefore });
    }

    const label = await this.options.label(request);
    // A post that went unanswered (its process died, or the connection dropped) may be in the channel already.
    const reposted = request.summaryReposted === true || (!request.summary && request.summaryPostingAt !== undefined);
    const summary = renderSummary(result, request.ref, label, { reposted });
    let placed: SummaryMessage | undefined = request.summary;
    if (!placed) {
      await this.options.ledger.markPosting(request.id, this.options.owner, now);
      const placement = await this.place(request, result, summary);
      if (placement.kind === 'retry') return this.record(report, { deliveredVersion: request.deliveredVersion, ...this.retryLater(request), postingAnswered: placement.answered });
      if (placement.kind === 'nowhere') {
        this.options.logger.error({ event: 'outcome_undelivered', ref: request.ref, channelId: request.channelId, userId: request.userId }, 'could not deliver an outcome anywhere');
      }
      if (placement.kind !== 'posted') return this.finish(report, result, { deliveredVersion: request.version, reportedInviteeIds: report.invitees.map((invitee) => invitee.id), postingAnswered: true });
      placed = placement.summary;
    } else if (request.version > request.deliveredVersion) {
      const updated = await this.update(request, placed, summary);
      if (updated === 'retry') return this.record(report, { deliveredVersion: request.deliveredVersion, ...this.retryLater(request) });
    }

    const delivered = { summary: placed, deliveredVersion: request.version, lastUpdateAt: now, reposted };
    if (!result.finished) return this.record(report, { ...delivered, nextUpdateAt: now + UPDATE_SPACING_MS });
    const replies = await this.postReplies(report, result, placed);
    if (replies.pending) return this.record(report, { ...delivered, reportedInviteeIds: replies.reported, ...this.retryLater(request) });
    return this.finish(report, result, { ...delivered, reportedInviteeIds: replies.reported });
  }

  /**
   * Asks the approvers, once each: in the approval channel, or by direct message to every approver (user
   * groups expanded) except the requester. Each question is recorded as soon as it is posted, so a retry
   * after a failure asks only those not asked yet.
   */
  private async askApprovers(report: RequestReport): Promise<void> {
    const { request } = report;
    const approvals = this.options.approvals;
    const recipients = approvals ? await this.approvalRecipients(approvals, request.userId).catch(() => undefined) : [];
    if (recipients === undefined) return this.record(report, { deliveredVersion: request.deliveredVersion, ...this.retryLater(request) });
    if (recipients.length === 0) {
      this.options.logger.error({ event: 'no_approver_to_ask', ref: request.ref, userId: request.userId }, 'nobody but the requester can approve this request; it will expire');
    }
    const asked = new Set((await this.options.ledger.approvalMessages(request.id)).map((message) => message.recipient));
    const question = renderApprovalQuestion(report, await this.options.label(request), approversMrkdwn(approvals?.approvers ?? { users: [], usergroups: [] }));
    for (const recipient of recipients.filter((candidate) => !asked.has(candidate))) {
      const placement = await this.post(request, recipient, question);
      if (placement.kind === 'retry') return this.record(report, { deliveredVersion: request.deliveredVersion, ...this.retryLater(request) });
      if (placement.kind === 'posted') {
        await this.options.ledger.recordApprovalMessages(request.id, [{ recipient, channel: placement.summary.channel, ts: placement.summary.ts }], this.now());
      }
    }
    // Nothing more to say until someone decides (or the request expires): that changes the request.
    return this.record(report, { deliveredVersion: request.version, nextUpdateAt: this.now() + UPDATE_SPACING_MS });
  }

  private async approvalRecipients(approvals: NonNullable<OutcomeDeliveryOptions['approvals']>, requester: string): Promise<string[]> {
    if (approvals.channel) return [approvals.channel];
    const members = await Promise.all(approvals.approvers.usergroups.map(async (usergroup) => (await this.options.client.usergroups.users.list({ usergroup })).users ?? []));
    return [...new Set([...approvals.approvers.users, ...members.flat()])].filter((user) => user !== requester);
  }

  /**
   * Shows the decision on every copy of the question, then tells the requester by direct message. False
   * when Slack should be asked again later (the updates are idempotent; the notice goes last).
   */
  private async announceDecision(report: RequestReport): Promise<boolean> {
    const { request } = report;
    const label = await this.options.label(request);
    const decided = renderApprovalQuestion(report, label, approversMrkdwn(this.options.approvals?.approvers ?? { users: [], usergroups: [] }));
    for (const message of await this.options.ledger.approvalMessages(request.id)) {
      if ((await this.update(request, message, decided)) === 'retry') return false;
    }
    if (request.decision?.kind === 'expired') {
      audit(this.options.logger, { ref: request.ref, decision: 'approval_expired', source: request.source, userId: request.userId, channelId: request.channelId, service: request.service, workspaceId: request.workspaceId });
    }
    const notice = renderDecisionNotice(report, label);
    if (!notice) return true;
    return (await this.post(request, request.userId, notice, 'direct_message')).kind !== 'retry';
  }

  /** The summary's first post: the channel; else, when done, the command's response_url; else a direct message. */
  private async place(request: StoredRequest, result: InvitationResult, summary: SlackMessage): Promise<Placement> {
    const inChannel = await this.post(request, request.channelId, summary);
    if (inChannel.kind !== 'nowhere') return inChannel;
    const replies = renderFailureReplies(result, request.ref).map((reply) => reply.message);
    if (result.finished && request.responseUrl && this.now() - request.createdAt < RESPONSE_URL_LIFETIME_MS) {
      try {
        await this.postToUrl(request.responseUrl, { response_type: 'in_channel', replace_original: false, ...renderCombined(summary, replies) });
        return { kind: 'combined' };
      } catch (error) {
        this.options.logger.warn({ event: 'response_url_failed', ref: request.ref, error: String(error) }, 'response_url fallback failed');
      }
    }
    const direct = renderCombined(summary, [], slackText.fallbackIntro(channelMention(request.channelId)));
    return this.post(request, request.userId, direct, 'direct_message');
  }

  private async post(request: StoredRequest, channel: string, message: SlackMessage, via: SummaryMessage['via'] = 'channel'): Promise<Placement> {
    try {
      const posted = await this.options.client.chat.postMessage({ channel, ...message, unfurl_links: false, unfurl_media: false });
      return posted.ts ? { kind: 'posted', summary: { channel: posted.channel ?? channel, ts: posted.ts, via } } : { kind: 'retry', answered: true };
    } catch (error) {
      const code = slackErrorCode(error);
      this.options.logger.info({ event: 'post_failed', ref: request.ref, channel, slackError: code }, 'could not post the summary');
      return UNREACHABLE.has(code) ? { kind: 'nowhere' } : { kind: 'retry', answered: code !== UNANSWERED };
    }
  }

  private async update(request: StoredRequest, placed: Pick<SummaryMessage, 'channel' | 'ts'>, summary: SlackMessage): Promise<'updated' | 'retry' | 'gone'> {
    try {
      await this.options.client.chat.update({ channel: placed.channel, ts: placed.ts, ...summary });
      return 'updated';
    } catch (error) {
      const code = slackErrorCode(error);
      this.options.logger.info({ event: 'update_failed', ref: request.ref, slackError: code }, 'could not update the summary');
      // A message deleted meanwhile is not brought back; the thread replies still follow.
      return UNREACHABLE.has(code) ? 'gone' : 'retry';
    }
  }

  /** Replies for problems not reported yet, grouped by reason, under the summary. */
  private async postReplies(report: RequestReport, result: InvitationResult, placed: SummaryMessage): Promise<{ reported: number[]; pending: boolean }> {
    const reported: number[] = [];
    const unreported = { ...result, outcomes: result.outcomes.map((outcome, index) => (report.invitees[index]?.reportedAt === undefined ? outcome : { status: 'pending' as const, invitee: outcome.invitee })) };
    for (const reply of renderFailureReplies(unreported, report.request.ref)) {
      try {
        await this.options.client.chat.postMessage({ channel: placed.channel, thread_ts: placed.ts, ...reply.message, unfurl_links: false, unfurl_media: false });
        reported.push(...reply.indices.map((index) => report.invitees[index]?.id ?? -1));
      } catch (error) {
        const code = slackErrorCode(error);
        this.options.logger.error({ event: 'thread_reply_failed', ref: report.request.ref, slackError: code }, 'could not post a thread reply');
        if (!UNREACHABLE.has(code)) return { reported, pending: true };
        reported.push(...reply.indices.map((index) => report.invitees[index]?.id ?? -1));
      }
    }
    return { reported, pending: false };
  }

  /** The final state is out: the audit line lists every outcome, and delivery is done with this request. */
  private async finish(report: RequestReport, result: InvitationResult, progress: Omit<DeliveryProgress, 'nextUpdateAt'>): Promise<void> {
    const { request } = report;
    audit(this.options.logger, {
      ref: request.ref,
      decision: 'sent',
      source: request.source,
      userId: request.userId,
      channelId: request.channelId,
      ...(request.teamId ? { teamId: request.teamId } : {}),
      service: request.service,
      workspaceId: request.workspaceId,
      ...(request.role ? { role: request.role } : {}),
      addresses: report.invitees.map((invitee) => invitee.email),
      ...(request.messageLength > 0 ? { messageLength: request.messageLength } : {}),
      outcomes: result.outcomes,
      ...(request.finishedAt !== undefined ? { durationMs: request.finishedAt - request.createdAt } : {}),
      ...(request.identity ? { identity: auditIdentity(request.identity) } : {}),
    });
    await this.record(report, { ...progress, nextUpdateAt: this.now() + UPDATE_SPACING_MS, delivered: true });
  }

  /** Slack did not take it this time: later, backing off, and given up only after a day, loudly. */
  private retryLater(request: StoredRequest): Pick<DeliveryProgress, 'nextDueAt' | 'nextUpdateAt' | 'delivered' | 'failed' | 'lastUpdateAt'> {
    const now = this.now();
    if (now - request.createdAt > GIVE_UP_AFTER_MS) {
      this.options.logger.error({ event: 'outcome_undelivered', ref: request.ref, channelId: request.channelId, userId: request.userId }, 'gave up delivering an outcome');
      return { nextUpdateAt: now, delivered: true };
    }
    const at = now + backoffMs(request.deliveryFailures);
    return { nextDueAt: at, nextUpdateAt: at, failed: true, lastUpdateAt: now };
  }

  private record(report: RequestReport, progress: DeliveryProgress): Promise<void> {
    const announced = this.announced.delete(report.request.id);
    return this.options.ledger.recordDelivery(report.request.id, this.options.owner, announced ? { ...progress, decisionAnnounced: true } : progress, this.now());
  }
}
