import type { InvitationOutcome, InvitationResult, OutcomeError } from '../outcome.js';
import type { InvitationRequest, Invitee, ServiceName } from '../request.js';
import type { StoreKind } from './migrations.js';

/**
 * `queued → sending → invited | failed | unknown`, or `skipped` from the start (a duplicate). `sending` is
 * written before the upstream call and resolved right after it; a `sending` row whose process died stays
 * `sending` until another process marks it `unknown`: the call may have reached the service, so it is
 * reported, never sent again.
 */
export type InviteeState = 'queued' | 'sending' | 'invited' | 'failed' | 'unknown' | 'skipped';

export const UNFINISHED_STATES: readonly InviteeState[] = ['queued', 'sending'];
/** States that count as an invitation for the duplicate guard and the budget: it went out, or may have. */
export const COUNTED_STATES: readonly InviteeState[] = ['queued', 'sending', 'invited', 'unknown'];

export type RequestSource = 'command' | 'modal';

/**
 * `active`: to be sent (or being sent, or done); `awaiting_approval`: held until an approver decides;
 * `awaiting_link`: held until its owner reconnects their account; `denied` and `expired`: never sent,
 * every invitee `failed` with the reason.
 */
export type RequestStatus = 'active' | 'awaiting_approval' | 'awaiting_link' | 'denied' | 'expired';

/** Why approvers must decide first: an outside address, a client invitation, or every request. */
export type ApprovalReason = 'external' | 'client' | 'all';

/** An approver's decision, or the clock's. */
export interface Decision {
  readonly kind: 'approved' | 'denied' | 'expired';
  /** Who decided (a Slack user id); absent for `expired`. */
  readonly by?: string;
  readonly at: number;
  readonly reason?: string;
}

/** Where a Slack conversation is answered: the summary's message, once posted. */
export interface SummaryMessage {
  readonly channel: string;
  readonly ts: string;
  /** Posted in the channel itself, or as a direct message to the requester (which can be updated too). */
  readonly via: 'channel' | 'direct_message' | 'response_url';
}

/**
 * Who a request is sent as, when people can link their own accounts (issue 12): `linked`, the requester's
 * own account of the service (the link's id, and the service's id and name for that person, for the audit
 * trail and the outcome); `shared`, the bot's shared token. Requests made while linking is not configured
 * have none.
 */
export type RequestIdentity =
  | { readonly kind: 'linked'; readonly linkId: number; readonly serviceUserId: string; readonly serviceUserName?: string }
  | { readonly kind: 'shared' };

export type LinkedIdentity = Extract<RequestIdentity, { kind: 'linked' }>;

/** Request `status` values: `active` requests are sent; `awaiting_link` ones wait for their owner to reconnect. */
export const REQUEST_STATUS = { active: 'active', awaitingLink: 'awaiting_link' } as const satisfies Record<string, RequestStatus>;

/** A request as the ledger holds it: everything needed to send it and to tell people about it. */
export interface StoredRequest {
  readonly id: number;
  readonly ref: string;
  readonly teamId?: string;
  readonly userId: string;
  readonly channelId: string;
  readonly responseUrl?: string;
  readonly source: RequestSource;
  readonly service: ServiceName;
  readonly workspaceId: string;
  readonly workspaceTitle?: string;
  readonly role?: 'maven' | 'buyer';
  readonly subject?: string;
  readonly message?: string;
  readonly messageLength: number;
  readonly again: boolean;
  readonly createdAt: number;
  readonly version: number;
  readonly deliveredVersion: number;
  readonly summary?: SummaryMessage;
  /**
   * Set when a process set out to post the summary and never heard back (it died, or the connection
   * dropped): Slack may show a copy this ledger has no `ts` for.
   */
  readonly summaryPostingAt?: number;
  /** The summary was posted after such an unanswered post, and says an earlier copy may be above it. */
  readonly summaryReposted?: true;
  /** When Slack was last asked to show this request: posted, updated, or an attempt that failed. */
  readonly lastUpdateAt?: number;
  /** Attempts in a row that Slack did not take; delivery backs off by them. */
  readonly deliveryFailures: number;
  readonly finishedAt?: number;
  readonly deliveredAt?: number;
  readonly status: RequestStatus;
  /** When approvers must decide first: why, and until when. */
  readonly approval?: { readonly reason: ApprovalReason; readonly expiresAt: number };
  readonly decision?: Decision;
  /** When the requester and the approvers were told of the decision. */
  readonly decisionAnnouncedAt?: number;
  readonly identity?: RequestIdentity;
  /** While its owner's linked account was refused and nothing more can be sent until they reconnect. */
  readonly awaitingLinkSince?: number;
}

export interface StoredInvitee {
  readonly id: number;
  readonly requestId: number;
  readonly position: number;
  readonly email: string;
  readonly fullName?: string;
  readonly state: InviteeState;
  readonly attempts: number;
  readonly invitationId?: string;
  readonly error?: OutcomeError;
  /** For `skipped` as a duplicate: who invited the address before, and when. */
  readonly previous?: { readonly userId: string; readonly at: number };
  /** For `skipped` because the person is already on the project: their team there. */
  readonly member?: { readonly role: 'maven' | 'buyer' };
  /** When the follow-up saw the person on the project. */
  readonly joinedAt?: number;
  /** When the follow-up looks again, and how many looks were made. */
  readonly followUp?: { readonly dueAt: number; readonly step: number };
  /** Retried after an unknown outcome: sent again only if the service shows the person is not on the project yet. */
  readonly checkFirst?: true;
  readonly reportedAt?: number;
  readonly createdAt: number;
  readonly sentAt?: number;
  readonly resolvedAt?: number;
}

/** An accepted request, validated, as the listener hands it over. */
export interface NewRequest {
  readonly ref: string;
  readonly source: RequestSource;
  readonly request: InvitationRequest;
  readonly channelId: string;
  readonly responseUrl?: string;
  readonly workspaceTitle?: string;
  /** `--again`: invite even those invited to the same workspace within the duplicate window. */
  readonly again: boolean;
  /** Held for approvers: why, and until when. */
  readonly approval?: { readonly reason: ApprovalReason; readonly expiresAt: number };
  /** Who it is sent as; none while linking is not configured. */
  readonly identity?: RequestIdentity;
}

export interface GuardSettings {
  readonly budget: { readonly limit: number; readonly windowMs: number };
  readonly duplicateWindowMs: number;
}

export interface OverBudget {
  readonly limit: number;
  readonly windowMs: number;
  /** How many the person may still invite right now. */
  readonly remaining: number;
  /** When enough of the budget frees up for this request, if it ever can. */
  readonly availableAt?: number;
}

export type RecordResult =
  | { readonly kind: 'recorded'; readonly request: StoredRequest; readonly invitees: readonly StoredInvitee[] }
  | { readonly kind: 'over_budget'; readonly budget: OverBudget };

/** How an invitation call ended, as the sender records it. */
export type Settlement =
  /** `followUpAt`: when to look for the person on the project (Kantata), to show that they joined. */
  | { readonly state: 'invited'; readonly invitationId?: string; readonly attempts: number; readonly followUpAt?: number }
  | { readonly state: 'failed' | 'unknown'; readonly error: OutcomeError; readonly attempts: number }
  /** Not sent: the person is already on the project. */
  | { readonly state: 'skipped'; readonly member: { readonly role: 'maven' | 'buyer' }; readonly attempts: 0 };

/** How an approver's click (or the clock) ended: the first decision wins, later ones are told so. */
export type DecisionResult =
  | { readonly kind: 'decided'; readonly request: StoredRequest }
  /** Someone decided first (or the request was never waiting): nothing changed. */
  | { readonly kind: 'already'; readonly request: StoredRequest }
  | { readonly kind: 'not_found' };

/** What a retry from the thread did. */
export type RetryResult =
  | { readonly kind: 'queued'; readonly invitees: readonly StoredInvitee[] }
  | { readonly kind: 'over_budget'; readonly budget: OverBudget }
  /** Nothing left to retry: sent meanwhile, or retried already. */
  | { readonly kind: 'nothing' };

/** Where approvers were asked. */
export interface ApprovalMessage {
  /** Whom the question was for: an approver's user id, or the approval channel. */
  readonly recipient: string;
  /** Where it was posted: a direct message has a channel id of its own. */
  readonly channel: string;
  readonly ts: string;
}

/** When the follow-up looks for an invitee on the project again: steps after the invitation. */
export const FOLLOW_UP_STEPS_MS: readonly number[] = [10 * 60_000, 3_600_000, 6 * 3_600_000, 24 * 3_600_000, 72 * 3_600_000];

export interface InviteeClaim {
  readonly service: ServiceName;
  /** Which process holds the claim: its leases say so. */
  readonly owner: string;
  readonly now: number;
  readonly leaseMs: number;
  readonly limit: number;
  /** Huddle sends a whole request's addresses in one call: claim all of one request's queued invitees. */
  readonly wholeRequest: boolean;
}

/** Invitees claimed for sending, with their request. */
export interface ClaimedWork {
  readonly request: StoredRequest;
  readonly invitees: readonly StoredInvitee[];
}

/** What a delivery pass did, written back in one step. */
export interface DeliveryProgress {
  readonly summary?: SummaryMessage;
  /** The version of the request that people now see. */
  readonly deliveredVersion: number;
  readonly lastUpdateAt?: number;
  readonly reportedInviteeIds?: readonly number[];
  /** When to look again if nothing changes meanwhile; undefined when all is said. */
  readonly nextDueAt?: number;
  /** When to look again if the request changed meanwhile (Slack: one update per message every 3 s). */
  readonly nextUpdateAt: number;
  readonly failed?: boolean;
  readonly delivered?: boolean;
  /** The requester and the approvers were told of the decision. */
  readonly decisionAnnounced?: boolean;
  /** Slack answered the summary's post (posted, or refused it): no copy of it can be out there unknown. */
  readonly postingAnswered?: boolean;
  /** The summary being recorded was posted after an unanswered post (see `summaryPostingAt`). */
  readonly reposted?: boolean;
}

export interface RequestReport {
  readonly request: StoredRequest;
  readonly invitees: readonly StoredInvitee[];
}

/** Whose requests `recent` lists: one person's (by Slack user and team), or everyone's. */
export interface RecentFilter {
  readonly userId?: string;
  readonly teamId?: string;
}

export interface UnfinishedRequest {
  readonly request: StoredRequest;
  readonly counts: Readonly<Partial<Record<InviteeState, number>>>;
}

/**
 * The durable record of every accepted request and each invitee, and the work queue: there is no other
 * list of work. Two stores keep this one contract (SQLite for one process, PostgreSQL for replicas).
 */
export interface Ledger {
  readonly kind: StoreKind;

  /** Writes an accepted request and its invitees, after the budget and duplicate guards, in one transaction. */
  record(entry: NewRequest, guards: GuardSettings, now: number): Promise<RecordResult>;

  /** Marks queued invitees `sending` under a lease, oldest first, and returns them. */
  claimInvitees(claim: InviteeClaim): Promise<ClaimedWork[]>;
  /** Records how the call for these invitees (all of one request) ended. */
  settleInvitees(requestId: number, inviteeIds: readonly number[], settlement: Settlement, now: number): Promise<void>;
  /** Puts invitees back in the queue: the call never went out (a shutdown came first). */
  requeueInvitees(inviteeIds: readonly number[], owner: string, now: number): Promise<void>;
  /** Extends the leases of everything `owner` is sending. */
  renewLeases(owner: string, now: number, leaseMs: number): Promise<void>;
  /**
   * `sending` invitees whose process is gone (lease run out, or owner listed as dead) become `unknown`: the
   * call may have reached the service; the dead owners' delivery leases are released. Returns how many
   * invitees.
   */
  failOrphans(now: number, deadOwners?: readonly string[]): Promise<number>;
  /** Owners holding leases right now: on invitees being sent, or on requests being reported. */
  sendingOwners(): Promise<string[]>;

  /** Requests whose people are due an update, leased to `owner` for `leaseMs`. */
  claimDeliveries(owner: string, now: number, leaseMs: number, limit: number): Promise<RequestReport[]>;
  recordDelivery(requestId: number, owner: string, progress: DeliveryProgress, now: number): Promise<void>;
  /** Notes, before the summary's first post, that a copy may reach Slack before its `ts` is recorded. */
  markPosting(requestId: number, owner: string, now: number): Promise<void>;

  findRequest(ref: string): Promise<RequestReport | undefined>;
  /** Requests not yet finished and delivered, oldest first, with their invitees counted by state. */
  unfinished(limit: number): Promise<UnfinishedRequest[]>;
  /** Invitees not yet finished, by state: the queue's depth. */
  depth(): Promise<Partial<Record<InviteeState, number>>>;
  /** Deletes requests (and their invitees) created before `before`; addresses are personal data. */
  purge(before: number): Promise<number>;

  /**
   * An approver's decision on a request held for approval: the first one wins (however many approvers
   * click at once, on however many replicas). Approved: it is sent; denied: every invitee fails with it.
   */
  decide(ref: string, decision: Omit<Decision, 'kind'> & { readonly kind: 'approved' | 'denied' }): Promise<DecisionResult>;
  /** Requests whose approval ran out become `expired`, their invitees failed. Returns how many. */
  expireApprovals(now: number): Promise<number>;
  recordApprovalMessages(requestId: number, messages: readonly ApprovalMessage[], now: number): Promise<void>;
  approvalMessages(requestId: number): Promise<ApprovalMessage[]>;

  /**
   * Puts invitees of a finished request back in the queue (a retry from the thread), through the guards:
   * the requester's budget, and the duplicate guard against other requests. Those whose outcome was
   * `unknown` are marked to be checked on the project before anything is sent again.
   */
  retry(ref: string, inviteeIds: readonly number[], guards: GuardSettings, now: number): Promise<RetryResult>;

  /** Invited Kantata invitees whose follow-up look is due, by request, oldest first. */
  dueFollowUps(now: number, limit: number): Promise<RequestReport[]>;
  /** What a follow-up look found: who is on the project now; the others are looked for at the next step. */
  recordFollowUp(inviteeIds: readonly number[], joinedIds: readonly number[], now: number): Promise<void>;

  /**
   * The requester's linked account was refused (revoked, disconnected): nothing more of this request can be
   * sent until they reconnect. The request waits (`awaiting_link`) and these invitees, refused before
   * anything was sent, go back to the queue. True when this call started the wait (so the person is asked
   * once, however many calls were refused).
   */
  holdForLink(requestId: number, inviteeIds: readonly number[], owner: string, now: number): Promise<boolean>;
  /** The person linked their account of `service` again: what waited for it goes on, sent as `identity`. */
  resumeAfterLink(person: { readonly teamId?: string; readonly userId: string }, service: ServiceName, identity: LinkedIdentity, now: number): Promise<StoredRequest[]>;
  /** Requests waiting for a reconnect since before `before` give up: their queued invitees fail, unsent. Returns how many requests. */
  expireAwaitingLink(before: number, now: number): Promise<number>;
  /** The latest requests, newest first, of one person (or everyone), with their invitees counted by state. */
  recent(filter: RecentFilter, limit: number): Promise<UnfinishedRequest[]>;

  close(): Promise<void>;
}

/** A stored request as the people-facing model: each invitee's outcome so far, in order. */
export function asResult(report: RequestReport): InvitationResult {
  const { request, invitees } = report;
  const requestedBy = { userId: request.userId, channelId: request.channelId, ...(request.teamId ? { teamId: request.teamId } : {}) };
  const common = {
    workspaceId: request.workspaceId,
    invitees: invitees.map(inviteeOf),
    requestedBy,
    ...(request.message !== undefined ? { message: request.message } : {}),
  };
  const invitation: InvitationRequest =
    request.service === 'kantata'
      ? { ...common, service: 'kantata', role: request.role ?? 'buyer', ...(request.subject !== undefined ? { subject: request.subject } : {}) }
      : { ...common, service: 'huddle' };
  const { decision } = request;
  const approvedBy = decision?.kind === 'approved' ? decision.by : undefined;
  const notApproved = decision && decision.kind !== 'approved' ? { kind: decision.kind, ...(decision.by ? { by: decision.by } : {}) } : undefined;
  return {
    request: invitation,
    outcomes: invitees.map(outcomeOf),
    finished: request.finishedAt !== undefined,
    ...(approvedBy ? { approvedBy } : {}),
    ...(notApproved ? { notApproved } : {}),
    ...(request.identity ? { identity: request.identity } : {}),
    ...(request.awaitingLinkSince !== undefined ? { awaitingLink: true } : {}),
  };
}

function inviteeOf(invitee: StoredInvitee): Invitee {
  return { email: invitee.email, ...(invitee.fullName ? { fullName: invitee.fullName } : {}) };
}

function outcomeOf(invitee: StoredInvitee): InvitationOutcome {
  const who = inviteeOf(invitee);
  const error = invitee.error ?? { kind: 'internal' as const };
  switch (invitee.state) {
    case 'queued':
    case 'sending':
      return { status: 'pending', invitee: who };
    case 'invited':
      return { status: 'invited', invitee: who, ...(invitee.invitationId ? { invitationId: invitee.invitationId } : {}), ...(invitee.joinedAt !== undefined ? { joined: true as const } : {}) };
    case 'failed':
    case 'unknown':
      return { status: invitee.state, invitee: who, error };
    case 'skipped':
      return { status: 'skipped', invitee: who, ...(invitee.previous ? { previous: invitee.previous } : {}), ...(invitee.member ? { member: invitee.member } : {}) };
  }
}
