import type { ProviderErrorKind } from '../providers/errors.js';
import type { Invitee, InvitationRequest } from './request.js';

/** What went wrong for one invitee, as plain data: the service's own words, its status and code. */
export interface OutcomeError {
  readonly kind: ProviderErrorKind | 'internal';
  readonly httpStatus?: number;
  /** Huddle's `Code` or Kantata's error `type`. */
  readonly code?: string;
  readonly serviceMessage?: string;
  readonly retryAfterMs?: number;
  /** For failures without an HTTP answer (refused connection, timeout). */
  readonly reason?: string;
}

export type InvitationOutcome =
  | { readonly status: 'invited'; readonly invitee: Invitee; readonly invitationId?: string }
  /** The service certainly did not act on it. */
  | { readonly status: 'failed'; readonly invitee: Invitee; readonly error: OutcomeError }
  /** The request may have reached the service and been acted on; nobody can tell. Never retried blindly. */
  | { readonly status: 'unknown'; readonly invitee: Invitee; readonly error: OutcomeError }
  /** Not sent: the same address was invited to the same workspace a short while ago. */
  | { readonly status: 'skipped'; readonly invitee: Invitee; readonly previous: { readonly userId: string; readonly at: number } };

export type ProblemOutcome = Extract<InvitationOutcome, { status: 'failed' | 'unknown' }>;

export interface InvitationResult {
  readonly request: InvitationRequest;
  /** One per invitee, in the order of `request.invitees`. */
  readonly outcomes: readonly InvitationOutcome[];
  readonly durationMs: number;
}
