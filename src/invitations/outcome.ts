import type { ProviderErrorKind } from '../providers/errors.js';
import type { Invitee, InvitationRequest } from './request.js';

/** What went wrong for one invitee, as plain data: the service's own words, its status and code. */
export interface OutcomeError {
  /**
   * `interrupted`: the bot stopped (crashed, was killed) while the call was on its way. `denied` and
   * `expired`: an approver said no, or nobody decided in time; `reason` holds the approver's words.
   * `not_checked`: a retry after an unknown outcome could not see who is on the project, so it sent nothing.
   */
  readonly kind: ProviderErrorKind | 'internal' | 'interrupted' | 'denied' | 'expired' | 'not_checked';
  readonly httpStatus?: number;
  /** Huddle's `Code` or Kantata's error `type`. */
  readonly code?: string;
  readonly serviceMessage?: string;
  readonly retryAfterMs?: number;
  /** For failures without an HTTP answer (refused connection, timeout). */
  readonly reason?: string;
}

export type InvitationOutcome =
  /** Not finished yet: waiting in the queue, or on its way to the service. */
  | { readonly status: 'pending'; readonly invitee: Invitee }
  /** `joined`: seen on the project since (the follow-up looked). */
  | { readonly status: 'invited'; readonly invitee: Invitee; readonly invitationId?: string; readonly joined?: true }
  /** The service certainly did not act on it. */
  | { readonly status: 'failed'; readonly invitee: Invitee; readonly error: OutcomeError }
  /** The request may have reached the service and been acted on; nobody can tell. Never retried blindly. */
  | { readonly status: 'unknown'; readonly invitee: Invitee; readonly error: OutcomeError }
  /** Not sent: invited to the same workspace a short while ago (`previous`), or already on it (`member`). */
  | {
      readonly status: 'skipped';
      readonly invitee: Invitee;
      readonly previous?: { readonly userId: string; readonly at: number };
      readonly member?: { readonly role: 'maven' | 'buyer' };
    };

export type ProblemOutcome = Extract<InvitationOutcome, { status: 'failed' | 'unknown' }>;

/** A request and how each of its invitees is doing, as people are shown it. */
export interface InvitationResult {
  readonly request: InvitationRequest;
  /** One per invitee, in the order of `request.invitees`. */
  readonly outcomes: readonly InvitationOutcome[];
  /** False while some invitee is still pending: the summary shows progress. */
  readonly finished: boolean;
  /** The approver who let it through, when it needed one. */
  readonly approvedBy?: string;
  /** Never sent: an approver said no (`by`), or nobody decided in time. */
  readonly notApproved?: { readonly kind: 'denied' | 'expired'; readonly by?: string };
  /** Who it is sent as, when people can link their own accounts; none while linking is not configured. */
  readonly identity?: ResultIdentity;
  /** Waiting for the requester to reconnect their account before the rest can be sent. */
  readonly awaitingLink?: boolean;
}

/** Failures where the service certainly did not act: sending again cannot e-mail anyone twice. */
const CERTAINLY_UNSENT: ReadonlySet<OutcomeError['kind']> = new Set(['rate_limited', 'unavailable', 'connection']);

/**
 * What a failure reply offers: `retry` where nothing was sent for sure; `check_and_retry` where it may have
 * been, but the service can tell who is on the project (Kantata OX), so only the others are sent again.
 */
export function retryOffer(service: InvitationRequest['service'], outcome: ProblemOutcome): 'retry' | 'check_and_retry' | undefined {
  if (outcome.status === 'failed') return CERTAINLY_UNSENT.has(outcome.error.kind) ? 'retry' : undefined;
  return service === 'kantata' ? 'check_and_retry' : undefined;
}

/** Who a request is sent as: the requester's own account (by their name there), or the bot's shared one. */
export type ResultIdentity = { readonly kind: 'linked'; readonly serviceUserName?: string } | { readonly kind: 'shared' };
