import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { ProviderError } from '../providers/errors.js';
import type { KantataInvitation, KantataParticipant } from '../providers/kantata.js';
import { TtlCache } from '../ttl-cache.js';
import { SendAborted, type CallControl } from '../providers/retry.js';
import { FOLLOW_UP_STEPS_MS, type ClaimedWork, type Ledger, type Settlement, type StoredInvitee, type StoredRequest } from './ledger/ledger.js';
import type { OutcomeError } from './outcome.js';
import type { ServiceName } from './request.js';

/** What the sender needs from the Kantata OX client: one invitee per call, and who is on a project already. */
export interface KantataInviter {
  inviteToWorkspace(workspaceId: string, invitation: KantataInvitation, control?: CallControl): Promise<{ invitationId: string }>;
  participants(workspaceId: string): Promise<KantataParticipant[]>;
}

/** What the sender needs from the Huddle client: every address of a request in one call. */
export interface HuddleInviter {
  inviteToWorkspace(workspaceId: string, addresses: readonly string[], message?: string, control?: CallControl): Promise<void>;
}

/** The clients that send one request's invitations. */
export interface Inviters {
  readonly kantata?: KantataInviter;
  readonly huddle?: HuddleInviter;
}

/**
 * Which clients send a request: today the service accounts the bot is configured with; the place where a
 * request made with a person's own linked account gets that person's clients.
 */
export type InvitersFor = (request: StoredRequest) => Promise<Inviters>;

/** How replicas share the work: one sender per service at a time, and who is no longer alive. */
export interface SenderCoordination {
  /** True while this process may send for `service`; the token's rate limit is not multiplied by replicas. */
  holdsSender(service: ServiceName): Promise<boolean>;
  /** Of these lease owners, those whose process is gone. */
  deadOwners(owners: readonly string[]): Promise<string[]>;
}

export interface SenderOptions {
  readonly ledger: Ledger;
  /** The services this sender sends for (those configured). */
  readonly services: readonly ServiceName[];
  readonly inviters: InvitersFor;
  readonly coordination: SenderCoordination;
  /** This process, as its leases name it. */
  readonly owner: string;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => number;
  /** A `sending` invitee whose lease runs out belongs to a process that died. Renewed while the call runs. */
  readonly leaseMs?: number;
  /** Looks for work this often even when nobody says there is some (another replica's NOTIFY may be lost). */
  readonly pollMs?: number;
  /** Kantata calls in flight at most; the client's pacer spaces them out. */
  readonly kantataSlots?: number;
  /** Huddle requests (each one call) in flight at most. */
  readonly huddleSlots?: number;
  /** Told after each outcome is recorded: people can be shown it. */
  readonly onProgress?: () => void;
  /** Longest wait for a project's participants before inviting as if nobody were on it. */
  readonly membersTimeoutMs?: number;
  /**
   * A request sent as its owner's linked account was refused because of that account (revoked,
   * disconnected, expired grant): it now waits for them to reconnect, nothing of it lost. Told once per wait.
   */
  readonly onHeldForLink?: (request: StoredRequest, error: ProviderError) => Promise<void>;
}

/** A project's participants are reused this long: a request's invitees, one after another, ask once. */
const MEMBERS_CACHE_MS = 60_000;
const MEMBERS_TIMEOUT_MS = 3_000;
/** After an invitation, the first look for the person on the project (Kantata); see FOLLOW_UP_STEPS_MS. */
const FIRST_FOLLOW_UP_MS = FOLLOW_UP_STEPS_MS[0] ?? 600_000;

const MAX_ADDRESSES_PER_HUDDLE_CALL = 1000;
const ORPHAN_SWEEP_MS = 2_000;
const PERSIST_RETRY_MAX_MS = 30_000;

/**
 * Takes queued invitees from the ledger and sends them, recording each as `sending` before its call and
 * its outcome right after. Nothing else holds work: a crash leaves the ledger saying exactly what was
 * queued (sent by the next process) and what was on its way (reported as unknown, never sent again).
 */
export class Sender {
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly abort = new AbortController();
  private readonly inFlight: Record<ServiceName, number> = { kantata: 0, huddle: 0 };
  private readonly tasks = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly members: TtlCache<ReadonlyMap<string, 'maven' | 'buyer'>>;
  private running = false;
  private pumping = false;
  private pumpAgain = false;

  constructor(private readonly options: SenderOptions) {
    this.now = options.now ?? Date.now;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.members = new TtlCache(MEMBERS_CACHE_MS, this.now);
  }

  /** Takes over what a dead process left, then sends whatever is queued, and keeps doing so. */
  async start(): Promise<void> {
    this.running = true;
    await this.sweepOrphans();
    const every = (ms: number, run: () => Promise<void>) => {
      const timer = setInterval(() => void run().catch((error: unknown) => this.logFailure('sender_timer_failed', error)), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.pollMs ?? 1_000, async () => this.wake());
    every(Math.floor(this.leaseMs / 3), () => this.renewLeases());
    // Cheap when nothing is orphaned; frequent, so a replica that died is reported within seconds.
    every(Math.min(ORPHAN_SWEEP_MS, Math.floor(this.leaseMs / 2)), () => this.sweepOrphans());
    this.wake();
  }

  /** New work was recorded (here or by another replica). */
  wake(): void {
    if (!this.running) return;
    void this.pump().catch((error: unknown) => this.logFailure('sender_pump_failed', error));
  }

  get busy(): boolean {
    return this.inFlight.kantata + this.inFlight.huddle > 0;
  }

  /**
   * Stops taking work. Calls not yet on the wire go back to the queue at once; calls already sent are
   * given until `deadlineMs` to answer. True when nothing was left mid-call.
   */
  async stop(deadlineMs: number): Promise<{ drained: boolean }> {
    this.running = false;
    this.abort.abort();
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      deadline = setTimeout(() => resolve(false), deadlineMs);
    });
    const drained = await Promise.race([Promise.allSettled([...this.tasks]).then(() => true), timedOut]);
    clearTimeout(deadline);
    return { drained };
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        for (const service of this.services()) {
          if (!this.running) return;
          if (await this.claimFor(service)) this.pumpAgain = true;
        }
      } while (this.pumpAgain && this.running);
    } finally {
      this.pumping = false;
    }
  }

  private services(): readonly ServiceName[] {
    return this.options.services;
  }

  /** Claims what free slots allow and starts it; true when something was claimed (there may be more). */
  private async claimFor(service: ServiceName): Promise<boolean> {
    const slots = service === 'kantata' ? (this.options.kantataSlots ?? 8) : (this.options.huddleSlots ?? 2);
    const free = slots - this.inFlight[service];
    if (free <= 0 || !(await this.options.coordination.holdsSender(service))) return false;
    const claimed = await this.options.ledger.claimInvitees({
      service,
      owner: this.options.owner,
      now: this.now(),
      leaseMs: this.leaseMs,
      limit: service === 'kantata' ? free : MAX_ADDRESSES_PER_HUDDLE_CALL,
      wholeRequest: service === 'huddle',
    });
    for (const work of claimed) {
      if (service === 'kantata') for (const invitee of work.invitees) this.run('kantata', () => this.sendKantata(work.request, invitee));
      else this.run('huddle', () => this.sendHuddle(work));
    }
    return claimed.length > 0;
  }

  private run(service: ServiceName, task: () => Promise<void>): void {
    this.inFlight[service] += 1;
    const running = task()
      .catch((error: unknown) => this.logFailure('sender_task_failed', error))
      .finally(() => {
        this.inFlight[service] -= 1;
        this.tasks.delete(running);
        this.wake();
      });
    this.tasks.add(running);
  }

  private async sendKantata(request: StoredRequest, invitee: StoredInvitee): Promise<void> {
    let attempts = 0;
    try {
      const client = (await this.options.inviters(request)).kantata;
      if (!client || !request.role) return await this.settle(request, [invitee], notConfigured());
      const members = await this.projectMembers(request, client, invitee.checkFirst === true);
      // Retried after an unknown outcome: without a fresh look at the project, sending again could e-mail them twice.
      if (invitee.checkFirst && !members) return await this.settle(request, [invitee], { state: 'unknown', error: { kind: 'not_checked' }, attempts: invitee.attempts });
      const onProject = members?.get(invitee.email.toLowerCase());
      // Already on the project: no e-mail, and no invitation to count.
      if (onProject) return await this.settle(request, [invitee], { state: 'skipped', member: { role: onProject }, attempts: 0 });
      const { invitationId } = await client.inviteToWorkspace(
        request.workspaceId,
        {
          fullName: invitee.fullName ?? invitee.email,
          email: invitee.email,
          role: request.role,
          ...(request.subject !== undefined ? { subject: request.subject } : {}),
          ...(request.message !== undefined ? { message: request.message } : {}),
        },
        this.control((attempt) => (attempts = attempt)),
      );
      await this.settle(request, [invitee], { state: 'invited', invitationId, attempts, followUpAt: this.now() + FIRST_FOLLOW_UP_MS });
    } catch (error) {
      await this.failed(request, [invitee], error, attempts);
    }
  }

  private async sendHuddle(work: ClaimedWork): Promise<void> {
    const { request, invitees } = work;
    let attempts = 0;
    try {
      const client = (await this.options.inviters(request)).huddle;
      if (!client) return await this.settle(request, invitees, notConfigured());
      await client.inviteToWorkspace(
        request.workspaceId,
        invitees.map((invitee) => invitee.email),
        request.message,
        this.control((attempt) => (attempts = attempt)),
      );
      await this.settle(request, invitees, { state: 'invited', attempts });
    } catch (error) {
      await this.failed(request, invitees, error, attempts);
    }
  }

  /**
   * Who is on the project already, by lower-case address; undefined when the lookup failed or ran out of
   * time, and then the invitation goes out as if nobody were (a lookup is never a reason not to invite).
   */
  private async projectMembers(request: StoredRequest, client: KantataInviter, fresh: boolean): Promise<ReadonlyMap<string, 'maven' | 'buyer'> | undefined> {
    const load = async () => new Map((await client.participants(request.workspaceId)).map((member) => [member.email.toLowerCase(), member.role]));
    const lookup = fresh ? this.members.refresh(request.workspaceId, load) : this.members.get(request.workspaceId, load);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.options.membersTimeoutMs ?? MEMBERS_TIMEOUT_MS);
    });
    try {
      return await Promise.race([lookup, late]);
    } catch (error) {
      this.options.logger.info({ event: 'participants_lookup_failed', ref: request.ref, error: error instanceof Error ? error.message : String(error) }, 'could not see who is on the project; inviting anyway');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private control(onAttempt: (attempt: number) => void): CallControl {
    return { signal: this.abort.signal, onAttempt };
  }

  private async failed(request: StoredRequest, invitees: readonly StoredInvitee[], error: unknown, attempts: number): Promise<void> {
    if (error instanceof SendAborted) {
      await this.persist(() => this.options.ledger.requeueInvitees(invitees.map((invitee) => invitee.id), this.options.owner, this.now()));
      return;
    }
    if (request.identity?.kind === 'linked' && error instanceof ProviderError && error.kind === 'authentication') {
      // The person's own account was refused, so nothing was sent: the invitees wait for a reconnect.
      const started = await this.persist(() => this.options.ledger.holdForLink(request.id, invitees.map((invitee) => invitee.id), this.options.owner, this.now()));
      this.options.logger.warn(
        { event: 'held_for_link', ref: request.ref, service: request.service, invitees: invitees.length, code: error.code, status: error.status },
        'the requester\'s linked account was refused: the request waits for them to reconnect',
      );
      if (started) await this.options.onHeldForLink?.(request, error).catch((failure: unknown) => this.logFailure('reconnect_prompt_failed', failure));
      return;
    }
    const state = error instanceof ProviderError && !error.mayHaveBeenProcessed ? 'failed' : 'unknown';
    const outcomeError = toOutcomeError(error);
    this.options.logger.warn(
      {
        event: 'invitation_failed',
        ref: request.ref,
        service: request.service,
        workspaceId: request.workspaceId,
        addresses: invitees.map((invitee) => invitee.email),
        outcome: state,
        ...outcomeError,
        ...(error instanceof ProviderError ? {} : { bug: error instanceof Error ? error.stack : String(error) }),
      },
      error instanceof Error ? error.message : 'invitation failed',
    );
    await this.settle(request, invitees, { state, error: outcomeError, attempts });
  }

  private async settle(request: StoredRequest, invitees: readonly StoredInvitee[], settlement: Settlement): Promise<void> {
    await this.persist(() => this.options.ledger.settleInvitees(request.id, invitees.map((invitee) => invitee.id), settlement, this.now()));
    for (const _invitee of invitees) this.options.metrics?.invitation(request.service, settlement.state);
    this.options.onProgress?.();
  }

  /**
   * An outcome the service already gave must reach the ledger: a store that is briefly away is waited
   * for. Given up only when the process stops; the lease then runs out and the next process says
   * "may have been sent", which stays true.
   */
  private async persist<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await write();
      } catch (error) {
        this.logFailure('ledger_write_failed', error);
        if (!this.running && attempt >= 2) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(PERSIST_RETRY_MAX_MS, 200 * 2 ** attempt)));
      }
    }
  }

  private async renewLeases(): Promise<void> {
    if (this.busy) await this.options.ledger.renewLeases(this.options.owner, this.now(), this.leaseMs);
  }

  /** `sending` invitees of processes that are gone become unknown: their calls may have gone out. */
  private async sweepOrphans(): Promise<void> {
    const others = (await this.options.ledger.sendingOwners()).filter((owner) => owner !== this.options.owner);
    const dead = others.length > 0 ? await this.options.coordination.deadOwners(others) : [];
    const failed = await this.options.ledger.failOrphans(this.now(), dead);
    if (failed > 0) this.options.onProgress?.();
    if (failed > 0) this.options.logger.warn({ event: 'orphans_reported', invitees: failed }, 'invitations a stopped process was sending are reported as not confirmed');
  }

  private logFailure(event: string, error: unknown): void {
    this.options.logger.error({ event, error: error instanceof Error ? error.message : String(error) }, 'background sending hit a problem');
  }
}

function notConfigured(): Settlement {
  return { state: 'failed', error: { kind: 'internal', reason: 'service not configured' }, attempts: 0 };
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
