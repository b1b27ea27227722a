import type { InvitationOutcome } from './invitations/outcome.js';
import type { Logger } from './logger.js';

export type AuditDecision = 'sent' | 'refused' | 'denied' | 'busy' | 'form_opened';

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
              ...(outcome.status === 'skipped' ? { previouslyBy: outcome.previous.userId, previouslyAt: new Date(outcome.previous.at).toISOString() } : {}),
            })),
          }
        : {}),
    },
    `invitation ${record.decision}`,
  );
}
