import type { InvitationOutcome } from './invitations/outcome.js';
import type { Logger } from './logger.js';

/**
 * `accepted`: recorded in the ledger, on its way (or held for approval: `approval` says why); `sent`: every
 * invitee has its outcome (the line lists them); `busy`: the ledger could not take it; `link_requested`: the
 * person was asked to connect their own account first, and the request waits for that. `approved`,
 * `approval_denied` and `approval_expired`: an approver's decision (`by`), or the clock's; `retried`:
 * invitees sent again from the thread (`by`).
 */
export type AuditDecision =
  | 'accepted'
  | 'sent'
  | 'refused'
  | 'denied'
  | 'busy'
  | 'form_opened'
  | 'link_requested'
  | 'approved'
  | 'approval_denied'
  | 'approval_expired'
  | 'self_approval_refused'
  | 'retried';

/** One line per attempt, allowed or not. Never a secret, never a message body: only its length. */
export interface AuditRecord {
  readonly ref: string;
  readonly decision: AuditDecision;
  readonly source: 'command' | 'modal';
  readonly userId: string;
  readonly teamId?: string;
  readonly channelId?: string;
  readonly reason?: string;
  readonly service?: string;
  readonly workspaceId?: string;
  readonly role?: string;
  readonly addresses?: readonly string[];
  readonly outcomes?: readonly InvitationOutcome[];
  readonly messageLength?: number;
  readonly durationMs?: number;
  /** Invitees skipped as recent duplicates. */
  readonly skipped?: number;
  /** Held for approval, and why. */
  readonly approval?: string;
  /** Who decided on a held request, or pressed Retry. */
  readonly by?: string;
  /**
   * Who the request is sent as, when people can link their own accounts: their account at the service (its
   * id there, never a token), or the bot's shared one.
   */
  readonly identity?: AuditIdentity;
}

export type AuditIdentity = { readonly kind: 'linked'; readonly serviceUserId: string } | { readonly kind: 'shared' };

/** The audit trail's view of a request's identity: the service's id of the person, nothing more. */
export function auditIdentity(identity: { readonly kind: 'linked'; readonly serviceUserId: string } | { readonly kind: 'shared' } | undefined): AuditIdentity | undefined {
  if (!identity) return undefined;
  return identity.kind === 'linked' ? { kind: 'linked', serviceUserId: identity.serviceUserId } : { kind: 'shared' };
}

export function audit(logger: Logger, record: AuditRecord): void {
  const { outcomes, ...rest } = record;
  logger.info(
    {
      event: 'audit',
      ...rest,
      ...(outcomes
        ? {
            outcomes: outcomes.map((outcome) => ({
              email: outcome.invitee.email,
              status: outcome.status,
              ...(outcome.status === 'failed' || outcome.status === 'unknown'
                ? { kind: outcome.error.kind, httpStatus: outcome.error.httpStatus, code: outcome.error.code }
                : {}),
              ...(outcome.status === 'skipped' && outcome.previous ? { previouslyBy: outcome.previous.userId, previouslyAt: new Date(outcome.previous.at).toISOString() } : {}),
              ...(outcome.status === 'skipped' && outcome.member ? { alreadyOnProjectAs: outcome.member.role } : {}),
            })),
          }
        : {}),
    },
    `invitation ${record.decision}`,
  );
}
