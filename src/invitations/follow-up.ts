import type { Logger } from '../logger.js';
import type { Ledger, RequestReport, StoredInvitee } from './ledger/ledger.js';
import type { InvitersFor, SenderCoordination } from './sender.js';

export interface FollowUpOptions {
  readonly ledger: Pick<Ledger, 'dueFollowUps' | 'recordFollowUp'>;
  /** The clients the sender uses for a request: the follow-up asks Kantata through the same ones. */
  readonly inviters: InvitersFor;
  /** Only the process that sends for Kantata follows up: one set of lookups per token, not one per replica. */
  readonly coordination: Pick<SenderCoordination, 'holdsSender'>;
  /** Participant lookups allowed in any hour, all projects together; 0 turns the follow-up off. */
  readonly callsPerHour: number;
  readonly logger: Logger;
  readonly now?: () => number;
  /** How often `start` looks for what is due. */
  readonly pollMs?: number;
  /** Invitees read from the ledger per run at most. */
  readonly batchSize?: number;
  /** Told when someone was seen on their project: the summary that lists them can be updated. */
  readonly onJoined?: () => void;
}

/** What one run did: projects looked at, people seen joining, projects left for later by the budget. */
export interface FollowUpRun {
  readonly looked: number;
  readonly joined: number;
  readonly deferred: number;
}

/** The invitees due a look on one project, across requests, with the request whose clients ask. */
export interface ProjectDue {
  readonly workspaceId: string;
  readonly first: RequestReport['request'];
  readonly invitees: readonly StoredInvitee[];
  readonly dueAt: number;
}

const HOUR_MS = 3_600_000;
const NOTHING: FollowUpRun = { looked: 0, joined: 0, deferred: 0 };

/**
 * At most `limit` uses in any sliding hour. Kept in memory: a restart, or another replica taking over the
 * sender lock, starts an empty hour, so the worst case is twice the budget in the hour of a handover.
 */
export class HourlyBudget {
  private readonly used: number[] = [];

  constructor(private readonly limit: number) {}

  /** Uses one if the last hour left one. */
  take(now: number): boolean {
    if (this.remaining(now) === 0) return false;
    this.used.push(now);
    return true;
  }

  remaining(now: number): number {
    while (this.used.length > 0 && (this.used[0] ?? now) <= now - HOUR_MS) this.used.shift();
    return Math.max(0, this.limit - this.used.length);
  }
}

/** Due invitees by project, the longest-waiting project first, so a tight budget still makes progress. */
export function groupByProject(reports: readonly RequestReport[]): ProjectDue[] {
  const projects = new Map<string, ProjectDue>();
  for (const { request, invitees } of reports) {
    const known = projects.get(request.workspaceId);
    const dueAt = Math.min(...invitees.map((invitee) => invitee.followUp?.dueAt ?? Number.POSITIVE_INFINITY));
    projects.set(
      request.workspaceId,
      known
        ? { ...known, invitees: [...known.invitees, ...invitees], dueAt: Math.min(known.dueAt, dueAt) }
        : { workspaceId: request.workspaceId, first: request, invitees, dueAt },
    );
  }
  return [...projects.values()].sort((a, b) => a.dueAt - b.dueAt);
}

/**
 * Looks for invited Kantata people on their projects at growing intervals (FOLLOW_UP_STEPS_MS), one
 * participant lookup per project however many are due there, so the summary can say who joined. Kantata
 * has no API for an invitation's status: being on the project is the only sign.
 *
 * A lookup that fails still counts against the budget (it reached Kantata, or tried to), and its invitees
 * move on to their next step rather than being asked about again at once: a project Kantata cannot list
 * now is not hammered, and the last step gives up quietly. A project left out by the budget stays due and
 * comes first next time.
 */
export class FollowUp {
  private readonly budget: HourlyBudget;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<FollowUpRun> | undefined;

  constructor(private readonly options: FollowUpOptions) {
    this.budget = new HourlyBudget(options.callsPerHour);
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.options.callsPerHour <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.options.pollMs ?? 60_000);
    this.timer.unref();
  }

  /**
   * Stops looking, giving a run under way until `deadlineMs` to record what it saw. One cut short loses
   * nothing: its projects are still due and are looked at again by the next process.
   */
  async stop(deadlineMs: number): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    let deadline: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (deadline = setTimeout(resolve, deadlineMs)));
    await Promise.race([this.running?.catch(() => undefined), late]);
    clearTimeout(deadline);
  }

  /** Looks at what is due at `now`, within the budget. */
  async runDue(now: number): Promise<FollowUpRun> {
    if (this.options.callsPerHour <= 0 || this.budget.remaining(now) === 0) return NOTHING;
    if (!(await this.options.coordination.holdsSender('kantata'))) return NOTHING;
    const projects = groupByProject(await this.options.ledger.dueFollowUps(now, this.options.batchSize ?? 500));
    let looked = 0;
    let joined = 0;
    for (const project of projects) {
      const seen = await this.lookAt(project, now);
      if (seen === 'over_budget') break;
      looked += 1;
      joined += seen;
    }
    if (joined > 0) this.options.onJoined?.();
    const run = { looked, joined, deferred: projects.length - looked };
    if (looked > 0) this.options.logger.info({ event: 'follow_up', ...run }, 'looked for invited people on their projects');
    return run;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.runDue(this.now());
    try {
      await this.running;
    } catch (error) {
      this.options.logger.warn({ event: 'follow_up_failed', error: error instanceof Error ? error.message : String(error) }, 'the follow-up hit a problem');
    } finally {
      this.running = undefined;
    }
  }

  /** How many of the project's due invitees are on it now; `over_budget` when the hour's lookups are spent. */
  private async lookAt(project: ProjectDue, now: number): Promise<number | 'over_budget'> {
    const ids = project.invitees.map((invitee) => invitee.id);
    // Requests to one project may come from different people; any of their clients sees the same participants.
    const client = (await this.options.inviters(project.first)).kantata;
    if (!client) {
      await this.options.ledger.recordFollowUp(ids, [], now);
      return 0;
    }
    if (!this.budget.take(now)) return 'over_budget';
    let onProject: Set<string>;
    try {
      onProject = new Set((await client.participants(project.workspaceId)).map((participant) => participant.email.toLowerCase()));
    } catch (error) {
      this.options.logger.info(
        { event: 'follow_up_lookup_failed', workspaceId: project.workspaceId, error: error instanceof Error ? error.message : String(error) },
        'could not see who is on the project; looking again at the next step',
      );
      onProject = new Set();
    }
    const joined = project.invitees.filter((invitee) => onProject.has(invitee.email.toLowerCase())).map((invitee) => invitee.id);
    await this.options.ledger.recordFollowUp(ids, joined, now);
    return joined.length;
  }
}
