import type { InvitationOutcome, InvitationResult } from './outcome.js';
import type { InvitationRequest } from './request.js';

/** Who invited an address last, and when. */
export interface PreviousInvitation {
  readonly userId: string;
  readonly at: number;
}

/**
 * Remembers recent invitations per service, workspace and address. Behind an interface so that a durable
 * store (shared by several bot instances) can replace the in-memory one.
 */
export interface RecentInvitationStore {
  /**
   * Claims every key for `claim` and answers the earlier claims younger than `windowMs` that were found;
   * with `force`, earlier claims are overwritten but still answered.
   */
  claim(keys: readonly string[], claim: PreviousInvitation, windowMs: number, force: boolean): Promise<Map<string, PreviousInvitation>>;
  /** Drops claims whose invitation certainly did not happen, so nobody is told it did. */
  release(keys: readonly string[], claim: PreviousInvitation): Promise<void>;
}

export class MemoryRecentInvitationStore implements RecentInvitationStore {
  private readonly claims = new Map<string, PreviousInvitation>();
  private longestWindowMs = 0;

  async claim(keys: readonly string[], claim: PreviousInvitation, windowMs: number, force: boolean): Promise<Map<string, PreviousInvitation>> {
    this.longestWindowMs = Math.max(this.longestWindowMs, windowMs);
    this.prune(claim.at);
    const earlier = new Map<string, PreviousInvitation>();
    for (const key of keys) {
      const previous = this.claims.get(key);
      const recent = previous !== undefined && claim.at - previous.at < windowMs;
      if (recent) earlier.set(key, previous);
      if (!recent || force) this.claims.set(key, claim);
    }
    return earlier;
  }

  async release(keys: readonly string[], claim: PreviousInvitation): Promise<void> {
    for (const key of keys) {
      const current = this.claims.get(key);
      if (current?.userId === claim.userId && current.at === claim.at) this.claims.delete(key);
    }
  }

  get size(): number {
    return this.claims.size;
  }

  private prune(now: number): void {
    for (const [key, previous] of this.claims) if (now - previous.at >= this.longestWindowMs) this.claims.delete(key);
  }
}

export type BudgetDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly limit: number; readonly windowMs: number; readonly remaining: number; readonly availableAt?: number };

/** At most `limit` invitations per user in any sliding `windowMs`. */
export class UserBudget {
  private readonly spent = new Map<string, { at: number; count: number }[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  tryTake(userId: string, count: number, now: number): BudgetDecision {
    const entries = (this.spent.get(userId) ?? []).filter((entry) => now - entry.at < this.windowMs);
    const used = entries.reduce((sum, entry) => sum + entry.count, 0);
    if (used + count <= this.limit) {
      this.spent.set(userId, [...entries, { at: now, count }]);
      return { ok: true };
    }
    this.spent.set(userId, entries);
    const refusal = { ok: false as const, limit: this.limit, windowMs: this.windowMs, remaining: Math.max(0, this.limit - used) };
    if (count > this.limit) return refusal;
    let freed = 0;
    for (const entry of entries) {
      freed += entry.count;
      if (used - freed + count <= this.limit) return { ...refusal, availableAt: entry.at + this.windowMs };
    }
    return refusal;
  }

  /** Gives back part of what was taken at `takenAt`, for invitations that did not happen. */
  refund(userId: string, count: number, takenAt: number): void {
    const entry = this.spent.get(userId)?.find((candidate) => candidate.at === takenAt);
    if (entry) entry.count = Math.max(0, entry.count - count);
  }
}

export interface InvitationSender {
  send(request: InvitationRequest): Promise<InvitationResult>;
}

export type GuardedOutcome =
  | { readonly kind: 'sent'; readonly result: InvitationResult }
  | { readonly kind: 'over_budget'; readonly budget: Extract<BudgetDecision, { ok: false }> };

export interface InvitationGuardDeps {
  readonly invitations: InvitationSender;
  readonly store: RecentInvitationStore;
  readonly budget: UserBudget;
  readonly duplicateWindowMs: number;
  readonly now?: () => number;
}

export function invitationKey(request: InvitationRequest, email: string): string {
  return `${request.service}:${request.workspaceId}:${email.toLowerCase()}`;
}

/**
 * Sends a validated request through two guards: an address invited to the same workspace within the
 * duplicate window is skipped (unless the person asks again), and each person has an invitation budget.
 */
export class InvitationGuard {
  private readonly now: () => number;

  constructor(private readonly deps: InvitationGuardDeps) {
    this.now = deps.now ?? Date.now;
  }

  async send(request: InvitationRequest, options: { again: boolean }): Promise<GuardedOutcome> {
    const claim: PreviousInvitation = { userId: request.requestedBy.userId, at: this.now() };
    const keys = request.invitees.map((invitee) => invitationKey(request, invitee.email));
    const earlier = await this.deps.store.claim(keys, claim, this.deps.duplicateWindowMs, options.again);
    const skip = (email: string) => !options.again && earlier.has(invitationKey(request, email));
    const toSend = request.invitees.filter((invitee) => !skip(invitee.email));
    const claimedNow = keys.filter((key) => options.again || !earlier.has(key));

    if (toSend.length > 0) {
      const budget = this.deps.budget.tryTake(claim.userId, toSend.length, claim.at);
      if (!budget.ok) {
        await this.deps.store.release(claimedNow, claim);
        return { kind: 'over_budget', budget };
      }
    }
    const sent = toSend.length > 0 ? await this.deps.invitations.send({ ...request, invitees: toSend }) : undefined;
    const notSent = (sent?.outcomes ?? []).filter((outcome) => outcome.status === 'failed');
    if (notSent.length > 0) {
      await this.deps.store.release(notSent.map((outcome) => invitationKey(request, outcome.invitee.email)), claim);
      this.deps.budget.refund(claim.userId, notSent.length, claim.at);
    }
    const byEmail = new Map((sent?.outcomes ?? []).map((outcome) => [outcome.invitee.email.toLowerCase(), outcome]));
    const outcomes: InvitationOutcome[] = request.invitees.map((invitee) => {
      const previous = skip(invitee.email) ? earlier.get(invitationKey(request, invitee.email)) : undefined;
      if (previous) return { status: 'skipped', invitee, previous };
      return byEmail.get(invitee.email.toLowerCase()) as InvitationOutcome;
    });
    return { kind: 'sent', result: { request, outcomes, durationMs: sent?.durationMs ?? 0 } };
  }
}
