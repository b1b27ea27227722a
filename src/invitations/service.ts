import type { Logger } from '../logger.js';
import { ProviderError } from '../providers/errors.js';
import type { KantataInvitation } from '../providers/kantata.js';
import type { InvitationOutcome, InvitationResult, OutcomeError } from './outcome.js';
import type { HuddleInvitationRequest, InvitationRequest, Invitee, KantataInvitationRequest } from './request.js';

/** What the service needs from the Kantata OX client. */
export interface KantataInviter {
  inviteToWorkspace(workspaceId: string, invitation: KantataInvitation): Promise<{ invitationId: string }>;
}

/** What the service needs from the Huddle client. */
export interface HuddleInviter {
  inviteToWorkspace(workspaceId: string, addresses: readonly string[], message?: string): Promise<void>;
}

export interface InvitationServiceDeps {
  readonly kantata?: KantataInviter;
  readonly huddle?: HuddleInviter;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Kantata invitees of one request sent at once at most; the client's pacer bounds all requests together. */
  readonly kantataConcurrency?: number;
}

/**
 * Sends a validated request and accounts for every invitee: each ends `invited`, `failed` (the service
 * certainly did not act) or `unknown` (it may have; never retried, a retry could send a second e-mail).
 */
export class InvitationService {
  private readonly now: () => number;

  constructor(private readonly deps: InvitationServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async send(request: InvitationRequest): Promise<InvitationResult> {
    const startedAt = this.now();
    const outcomes = request.service === 'kantata' ? await this.sendKantata(request) : await this.sendHuddle(request);
    const durationMs = this.now() - startedAt;
    this.deps.logger.info(
      {
        event: 'invitation_request_done',
        service: request.service,
        workspaceId: request.workspaceId,
        requestedBy: request.requestedBy,
        invitees: outcomes.length,
        invited: outcomes.filter((o) => o.status === 'invited').length,
        failed: outcomes.filter((o) => o.status === 'failed').length,
        unknown: outcomes.filter((o) => o.status === 'unknown').length,
        durationMs,
      },
      'invitation request finished',
    );
    return { request, outcomes, durationMs };
  }

  private async sendKantata(request: KantataInvitationRequest): Promise<InvitationOutcome[]> {
    const client = this.deps.kantata;
    if (!client) return request.invitees.map((invitee) => notConfigured(invitee));
    return mapWithConcurrency(request.invitees, this.deps.kantataConcurrency ?? 8, async (invitee) => {
      try {
        const { invitationId } = await client.inviteToWorkspace(request.workspaceId, {
          fullName: invitee.fullName ?? invitee.email,
          email: invitee.email,
          role: request.role,
          ...(request.subject !== undefined ? { subject: request.subject } : {}),
          ...(request.message !== undefined ? { message: request.message } : {}),
        });
        return { status: 'invited', invitee, invitationId } as const;
      } catch (error) {
        return this.failedOutcome(request, [invitee], error)[0] as InvitationOutcome;
      }
    });
  }

  private async sendHuddle(request: HuddleInvitationRequest): Promise<InvitationOutcome[]> {
    const client = this.deps.huddle;
    if (!client) return request.invitees.map((invitee) => notConfigured(invitee));
    try {
      await client.inviteToWorkspace(
        request.workspaceId,
        request.invitees.map((invitee) => invitee.email),
        request.message,
      );
      return request.invitees.map((invitee) => ({ status: 'invited', invitee }) as const);
    } catch (error) {
      return this.failedOutcome(request, request.invitees, error);
    }
  }

  private failedOutcome(request: InvitationRequest, invitees: readonly Invitee[], error: unknown): InvitationOutcome[] {
    const outcomeError = toOutcomeError(error);
    const status = error instanceof ProviderError && !error.mayHaveBeenProcessed ? 'failed' : 'unknown';
    this.deps.logger.warn(
      {
        event: 'invitation_failed',
        service: request.service,
        workspaceId: request.workspaceId,
        addresses: invitees.map((invitee) => invitee.email),
        outcome: status,
        ...outcomeError,
        ...(error instanceof ProviderError ? {} : { bug: error instanceof Error ? error.stack : String(error) }),
      },
      error instanceof Error ? error.message : 'invitation failed',
    );
    return invitees.map((invitee) => ({ status, invitee, error: outcomeError }));
  }
}

function notConfigured(invitee: Invitee): InvitationOutcome {
  return { status: 'failed', invitee, error: { kind: 'internal', reason: 'service not configured' } };
}

export function toOutcomeError(error: unknown): OutcomeError {
  if (!(error instanceof ProviderError)) return { kind: 'internal' };
  return {
    kind: error.kind,
    ...(error.status !== undefined ? { httpStatus: error.status } : {}),
    ...(error.code !== undefined ? { code: error.code } : {}),
    ...(error.upstreamMessage !== undefined ? { serviceMessage: error.upstreamMessage } : {}),
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    ...(error.reason !== undefined ? { reason: error.reason } : {}),
  };
}

/** Like Promise.all over `items.map(task)`, with at most `limit` tasks running; results keep input order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
