import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { OutcomeError } from '../outcome.js';
import type { ServiceName } from '../request.js';
import {
  COUNTED_STATES,
  FOLLOW_UP_STEPS_MS,
  UNFINISHED_STATES,
  type ApprovalMessage,
  type ClaimedWork,
  type Decision,
  type DecisionResult,
  type RetryResult,
  type DeliveryProgress,
  type GuardSettings,
  type InviteeClaim,
  type InviteeState,
  type Ledger,
  type LinkedIdentity,
  type RecentFilter,
  type RequestIdentity,
  REQUEST_STATUS,
  type NewRequest,
  type OverBudget,
  type ApprovalReason,
  type RequestStatus,
  type RecordResult,
  type RequestReport,
  type Settlement,
  type StoredInvitee,
  type StoredRequest,
  type UnfinishedRequest,
} from './ledger.js';
import type { StoreKind } from './migrations.js';
import type { InviteesTable, LedgerDatabase, RequestsTable } from './schema.js';

type Db = Kysely<LedgerDatabase> | Transaction<LedgerDatabase>;
type RequestRow = Selectable<RequestsTable>;
type InviteeRow = Selectable<InviteesTable>;

/** Small requests are reported once, when done; these post their progress at once, or once running this long. */
export const PROGRESS_AFTER_INVITEES = 10;
export const PROGRESS_AFTER_MS = 5_000;
/** Slack allows about one update per message every few seconds; progress is never shown faster. */
export const UPDATE_SPACING_MS = 3_000;

/** What the two stores do differently: row locks for concurrent claimers, advisory locks, wake-ups. */
export interface StoreDialect {
  readonly kind: StoreKind;
  /**
   * Several processes claim at once (PostgreSQL): claims read with `for update skip locked`. SQLite has one
   * writer at a time and needs none.
   */
  readonly rowLocks: boolean;
  /** Serialises writers of one guard key across processes for the rest of the transaction. */
  lockKey(trx: Transaction<LedgerDatabase>, key: string): Promise<void>;
  /** Tells other processes that work was added (PostgreSQL NOTIFY); the same process is told directly. */
  announceWork(trx: Transaction<LedgerDatabase>): Promise<void>;
  /**
   * Runs `run` again when the store was busy (SQLite: another thread held the write lock). The wait is
   * asynchronous: a thread that answers Slack must never sleep inside the database driver.
   */
  retryBusy<T>(run: () => Promise<T>): Promise<T>;
}

/** The ledger over SQL, the same queries for SQLite and PostgreSQL; `dialect` covers the differences. */
export class SqlLedger implements Ledger {
  readonly kind: StoreKind;

  constructor(
    private readonly db: Kysely<LedgerDatabase>,
    private readonly dialect: StoreDialect,
    private readonly onClose: () => Promise<void> = async () => undefined,
  ) {
    this.kind = dialect.kind;
  }

  async record(entry: NewRequest, guards: GuardSettings, now: number): Promise<RecordResult> {
    return this.dialect.retryBusy(async () => {
      const { request } = entry;
      const team = request.requestedBy.teamId ?? '';
      return this.db.transaction().execute(async (trx) => {
        // One lock per person, then one per workspace: every writer takes them in this order.
        await this.dialect.lockKey(trx, `budget:${team}:${request.requestedBy.userId}`);
        await this.dialect.lockKey(trx, `duplicates:${request.service}:${request.workspaceId}`);
        const keys = request.invitees.map((invitee) => invitee.email.toLowerCase());
        const earlier = entry.again ? new Map<string, Previous>() : await this.earlierInvitations(trx, { service: request.service, workspaceId: request.workspaceId, keys }, guards.duplicateWindowMs, now);
        const toSend = request.invitees.filter((invitee) => !earlier.has(invitee.email.toLowerCase()));
        if (toSend.length > 0) {
          const spent = await this.spentBudget(trx, request.requestedBy.userId, team, guards.budget.windowMs, now);
          const refusal = budgetRefusal(spent, toSend.length, guards.budget, now);
          if (refusal) return { kind: 'over_budget', budget: refusal } as const;
        }
        const finished = toSend.length === 0;
        const held = entry.approval !== undefined && !finished;
        const inserted = await trx
          .insertInto('requests')
          .values({
            ref: entry.ref,
            team_id: request.requestedBy.teamId ?? null,
            user_id: request.requestedBy.userId,
            channel_id: entry.channelId,
            response_url: entry.responseUrl ?? null,
            source: entry.source,
            service: request.service,
            workspace_id: request.workspaceId,
            workspace_title: entry.workspaceTitle ?? null,
            role: request.service === 'kantata' ? request.role : null,
            subject: request.service === 'kantata' ? (request.subject ?? null) : null,
            message: request.message ?? null,
            message_length: request.message ? [...request.message].length : 0,
            again: entry.again ? 1 : 0,
            // Nothing left to send (all skipped as duplicates): nothing for approvers to decide either.
            status: held ? 'awaiting_approval' : REQUEST_STATUS.active,
            approval_reason: held ? entry.approval.reason : null,
            approval_expires_at: held ? entry.approval.expiresAt : null,
            created_at: now,
            version: 1,
            delivered_version: 0,
            // Approvers are asked at once; otherwise a large request shows its progress at once.
            delivery_due_at: finished || held || request.invitees.length > PROGRESS_AFTER_INVITEES ? now : now + PROGRESS_AFTER_MS,
            delivery_failures: 0,
            finished_at: finished ? now : null,
            ...identityColumns(entry.identity),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const inviteeRows = await trx
          .insertInto('invitees')
          .values(
            request.invitees.map((invitee, position) => {
              const previous = earlier.get(invitee.email.toLowerCase());
              return {
                request_id: inserted.id,
                position,
                email: invitee.email,
                email_key: invitee.email.toLowerCase(),
                full_name: invitee.fullName ?? null,
                state: previous ? 'skipped' : 'queued',
                skip_reason: previous ? 'duplicate' : null,
                attempts: 0,
                previous_user_id: previous?.userId ?? null,
                previous_at: previous?.at ?? null,
                created_at: now,
                updated_at: now,
                resolved_at: previous ? now : null,
              };
            }),
          )
          .returningAll()
          .execute();
        if (!finished && !held) await this.dialect.announceWork(trx);
        return { kind: 'recorded', request: toStoredRequest(inserted), invitees: inviteeRows.sort(byPosition).map(toStoredInvitee) } as const;
      });
    });
  }


  async claimInvitees(claim: InviteeClaim): Promise<ClaimedWork[]> {
    return this.dialect.retryBusy(async () => {
      // Most looks find nothing: finding that out needs no write lock.
      const any = await this.db
        .selectFrom('invitees')
        .innerJoin('requests', 'requests.id', 'invitees.request_id')
        .select('invitees.id')
        .where('invitees.state', '=', 'queued')
        .where('requests.service', '=', claim.service)
        .where('requests.status', '=', REQUEST_STATUS.active)
        .limit(1)
        .executeTakeFirst();
      if (!any) return [];
      const leaseUntil = claim.now + claim.leaseMs;
      const claimed = await this.db.transaction().execute(async (trx) => {
        const candidates = trx
          .selectFrom('invitees')
          .innerJoin('requests', 'requests.id', 'invitees.request_id')
          .select(['invitees.id', 'invitees.request_id'])
          .where('invitees.state', '=', 'queued')
          .where('requests.service', '=', claim.service)
          .where('requests.status', '=', REQUEST_STATUS.active)
          .orderBy('invitees.id')
          .limit(claim.wholeRequest ? 1 : claim.limit);
        const picked = await (this.dialect.rowLocks ? candidates.forUpdate(['invitees']).skipLocked() : candidates).execute();
        if (picked.length === 0) return [];
        const ids = claim.wholeRequest
          ? (
              await trx
                .selectFrom('invitees')
                .select('id')
                .where('request_id', '=', (picked[0] as { request_id: number }).request_id)
                .where('state', '=', 'queued')
                .orderBy('position')
                .limit(claim.limit)
                .execute()
            ).map((row) => row.id)
          : picked.map((row) => row.id);
        return trx
          .updateTable('invitees')
          .set({ state: 'sending', lease_owner: claim.owner, lease_until: leaseUntil, sent_at: claim.now, updated_at: claim.now })
          .where('id', 'in', ids)
          .where('state', '=', 'queued')
          .returningAll()
          .execute();
      });
      return this.withTheirRequests(claimed);
    });
  }

  async settleInvitees(requestId: number, inviteeIds: readonly number[], settlement: Settlement, now: number): Promise<void> {
    return this.dialect.retryBusy(async () => {
      if (inviteeIds.length === 0) return;
      const error = settlement.state === 'failed' || settlement.state === 'unknown' ? settlement.error : undefined;
      await this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('invitees')
          .set((eb) => ({
            state: settlement.state,
            attempts: eb('attempts', '+', settlement.attempts),
            invitation_id: settlement.state === 'invited' ? (settlement.invitationId ?? null) : null,
            ...errorColumns(error),
            skip_reason: settlement.state === 'skipped' ? 'member' : null,
            member_role: settlement.state === 'skipped' ? settlement.member.role : null,
            followup_due_at: settlement.state === 'invited' ? (settlement.followUpAt ?? null) : null,
            lease_owner: null,
            lease_until: null,
            updated_at: now,
            resolved_at: now,
          }))
          .where('id', 'in', [...inviteeIds])
          // A call that outlived its lease was marked unknown meanwhile; what it learnt is still the truth.
          .where((eb) => eb.or([eb('state', '=', 'sending'), eb.and([eb('state', '=', 'unknown'), eb('error_kind', '=', 'interrupted')])]))
          .execute();
        await this.changed(trx, [requestId], now);
      });
    });
  }

  async requeueInvitees(inviteeIds: readonly number[], owner: string, now: number): Promise<void> {
    return this.dialect.retryBusy(async () => {
      if (inviteeIds.length === 0) return;
      await this.db
        .updateTable('invitees')
        .set({ state: 'queued', lease_owner: null, lease_until: null, sent_at: null, updated_at: now })
        .where('id', 'in', [...inviteeIds])
        .where('state', '=', 'sending')
        .where('lease_owner', '=', owner)
        .execute();
    });
  }

  async renewLeases(owner: string, now: number, leaseMs: number): Promise<void> {
    return this.dialect.retryBusy(async () => {
      await this.db.updateTable('invitees').set({ lease_until: now + leaseMs }).where('state', '=', 'sending').where('lease_owner', '=', owner).execute();
    });
  }

  async failOrphans(now: number, deadOwners: readonly string[] = []): Promise<number> {
    return this.dialect.retryBusy(async () => {
      return this.db.transaction().execute(async (trx) => {
        const orphans = await trx
          .updateTable('invitees')
          .set({ state: 'unknown', error_kind: 'interrupted', lease_owner: null, lease_until: null, updated_at: now, resolved_at: now })
          .where('state', '=', 'sending')
          .where((eb) => (deadOwners.length > 0 ? eb.or([eb('lease_until', '<', now), eb('lease_owner', 'in', [...deadOwners])]) : eb('lease_until', '<', now)))
          .returning(['id', 'request_id'])
          .execute();
        await this.changed(trx, [...new Set(orphans.map((row) => row.request_id))], now);
        // What a dead process was telling people is taken up at once, not when its lease runs out.
        if (deadOwners.length > 0) {
          await trx.updateTable('requests').set({ delivery_owner: null, delivery_lease_until: null }).where('delivery_owner', 'in', [...deadOwners]).execute();
        }
        return orphans.length;
      });
    });
  }

  async sendingOwners(): Promise<string[]> {
    return this.dialect.retryBusy(async () => {
      const sending = await this.db.selectFrom('invitees').select('lease_owner').distinct().where('state', '=', 'sending').where('lease_owner', 'is not', null).execute();
      const delivering = await this.db.selectFrom('requests').select('delivery_owner').distinct().where('delivery_owner', 'is not', null).execute();
      return [...new Set([...sending.map((row) => row.lease_owner), ...delivering.map((row) => row.delivery_owner)].flatMap((owner) => (owner ? [owner] : [])))];
    });
  }

  async claimDeliveries(owner: string, now: number, leaseMs: number, limit: number): Promise<RequestReport[]> {
    return this.dialect.retryBusy(async () => {
      const any = await this.db.selectFrom('requests').select('id').where('delivery_due_at', '<=', now).limit(1).executeTakeFirst();
      if (!any) return [];
      const claimed = await this.db.transaction().execute(async (trx) => {
        const dueQuery = trx
          .selectFrom('requests')
          .select('id')
          .where('delivery_due_at', '<=', now)
          .where((eb) => eb.or([eb('delivery_lease_until', 'is', null), eb('delivery_lease_until', '<', now)]))
          .orderBy('delivery_due_at')
          .limit(limit);
        const due = await (this.dialect.rowLocks ? dueQuery.forUpdate().skipLocked() : dueQuery).execute();
        if (due.length === 0) return [];
        return trx
          .updateTable('requests')
          .set({ delivery_owner: owner, delivery_lease_until: now + leaseMs })
          .where('id', 'in', due.map((row) => row.id))
          .returningAll()
          .execute();
      });
      return this.withInvitees(claimed);
    });
  }

  async recordDelivery(requestId: number, owner: string, progress: DeliveryProgress, now: number): Promise<void> {
    return this.dialect.retryBusy(async () => {
      await this.db.transaction().execute(async (trx) => {
        const summary = progress.summary;
        await trx
          .updateTable('requests')
          .set({
            ...(summary ? { summary_channel: summary.channel, summary_ts: summary.ts, summary_via: summary.via } : {}),
            delivered_version: progress.deliveredVersion,
            ...(progress.lastUpdateAt !== undefined ? { last_update_at: progress.lastUpdateAt } : {}),
            // The sender may have changed the request while this pass rendered it: then look again soon.
            delivery_due_at: sql<number | null>`case when version > ${progress.deliveredVersion} then cast(${progress.nextUpdateAt} as bigint) else cast(${progress.nextDueAt ?? null} as bigint) end`,
            delivery_owner: null,
            delivery_lease_until: null,
            delivery_failures: progress.failed ? sql<number>`delivery_failures + 1` : 0,
            ...(progress.delivered ? { delivered_at: now, response_url: null } : {}),
            ...(progress.decisionAnnounced ? { decision_announced_at: now } : {}),
            ...(progress.postingAnswered || summary ? { summary_posting_at: null } : {}),
            ...(progress.reposted ? { summary_reposted: 1 } : {}),
          })
          .where('id', '=', requestId)
          .where('delivery_owner', '=', owner)
          .execute();
        const reported = progress.reportedInviteeIds ?? [];
        if (reported.length > 0) await trx.updateTable('invitees').set({ reported_at: now }).where('id', 'in', [...reported]).execute();
      });
    });
  }

  async markPosting(requestId: number, owner: string, now: number): Promise<void> {
    return this.dialect.retryBusy(async () => {
      await this.db.updateTable('requests').set({ summary_posting_at: now }).where('id', '=', requestId).where('delivery_owner', '=', owner).execute();
    });
  }

  async findRequest(ref: string): Promise<RequestReport | undefined> {
    return this.dialect.retryBusy(async () => {
      const row = await this.db.selectFrom('requests').selectAll().where('ref', '=', ref).executeTakeFirst();
      return row ? (await this.withInvitees([row]))[0] : undefined;
    });
  }

  async unfinished(limit: number): Promise<UnfinishedRequest[]> {
    return this.dialect.retryBusy(async () => {
      const rows = await this.db.selectFrom('requests').selectAll().where('delivered_at', 'is', null).orderBy('created_at').limit(limit).execute();
      return this.withCounts(rows);
    });
  }

  async depth(): Promise<Partial<Record<InviteeState, number>>> {
    return this.dialect.retryBusy(async () => {
      const rows = await this.db
        .selectFrom('invitees')
        .select(['state', (eb) => eb.fn.countAll<number>().as('count')])
        .where('state', 'in', [...UNFINISHED_STATES])
        .groupBy('state')
        .execute();
      return { queued: 0, sending: 0, ...Object.fromEntries(rows.map((row) => [row.state, Number(row.count)])) };
    });
  }

  async purge(before: number): Promise<number> {
    return this.dialect.retryBusy(async () =>
      this.db.transaction().execute(async (trx) => {
        const old = trx.selectFrom('requests').select('id').where('created_at', '<', before);
        await trx.deleteFrom('invitees').where('request_id', 'in', old).execute();
        const deleted = await trx.deleteFrom('requests').where('created_at', '<', before).executeTakeFirst();
        return Number(deleted.numDeletedRows);
      }),
    );
  }


  async decide(ref: string, decision: Omit<Decision, 'kind'> & { readonly kind: 'approved' | 'denied' }): Promise<DecisionResult> {
    return this.dialect.retryBusy(async () =>
      this.db.transaction().execute(async (trx): Promise<DecisionResult> => {
        const row = await trx.selectFrom('requests').selectAll().where('ref', '=', ref).executeTakeFirst();
        if (!row) return { kind: 'not_found' };
        // Only the first decision finds the request still waiting; a second click, here or on another replica, changes nothing.
        const updated = await trx
          .updateTable('requests')
          .set({ status: decision.kind === 'approved' ? 'active' : 'denied', decided_by: decision.by ?? null, decided_at: decision.at, decision_reason: decision.reason ?? null })
          .where('id', '=', row.id)
          .where('status', '=', 'awaiting_approval')
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) return { kind: 'already', request: toStoredRequest(row) };
        if (decision.kind === 'denied') await this.failWaiting(trx, [row.id], 'denied', decision.reason, decision.at);
        else await this.dialect.announceWork(trx);
        await this.changed(trx, [row.id], decision.at);
        const decided = await trx.selectFrom('requests').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
        return { kind: 'decided', request: toStoredRequest(decided) };
      }),
    );
  }

  async expireApprovals(now: number): Promise<number> {
    return this.dialect.retryBusy(async () => {
      const due = await this.db.selectFrom('requests').select('id').where('status', '=', 'awaiting_approval').where('approval_expires_at', '<', now).execute();
      if (due.length === 0) return 0;
      return this.db.transaction().execute(async (trx) => {
        const ids = due.map((row) => row.id);
        const updated = await trx
          .updateTable('requests')
          .set({ status: 'expired', decided_at: now })
          .where('id', 'in', ids)
          .where('status', '=', 'awaiting_approval')
          .returning('id')
          .execute();
        const expired = updated.map((row) => row.id);
        await this.failWaiting(trx, expired, 'expired', undefined, now);
        await this.changed(trx, expired, now);
        return expired.length;
      });
    });
  }

  async recordApprovalMessages(requestId: number, messages: readonly ApprovalMessage[], now: number): Promise<void> {
    return this.dialect.retryBusy(async () => {
      if (messages.length === 0) return;
      await this.db
        .insertInto('approval_messages')
        .values(messages.map((message) => ({ request_id: requestId, recipient: message.recipient, channel: message.channel, ts: message.ts, created_at: now })))
        .execute();
    });
  }

  async approvalMessages(requestId: number): Promise<ApprovalMessage[]> {
    return this.dialect.retryBusy(async () =>
      this.db.selectFrom('approval_messages').select(['recipient', 'channel', 'ts']).where('request_id', '=', requestId).orderBy('id').execute(),
    );
  }

  async retry(ref: string, inviteeIds: readonly number[], guards: GuardSettings, now: number): Promise<RetryResult> {
    return this.dialect.retryBusy(async () =>
      this.db.transaction().execute(async (trx): Promise<RetryResult> => {
        const row = await trx.selectFrom('requests').selectAll().where('ref', '=', ref).executeTakeFirst();
        if (!row || row.status !== 'active') return { kind: 'nothing' };
        const team = row.team_id ?? '';
        await this.dialect.lockKey(trx, `budget:${team}:${row.user_id}`);
        await this.dialect.lockKey(trx, `duplicates:${row.service}:${row.workspace_id}`);
        const chosen = await trx
          .selectFrom('invitees')
          .selectAll()
          .where('request_id', '=', row.id)
          .where('id', 'in', inviteeIds.length > 0 ? [...inviteeIds] : [-1])
          .where('state', 'in', ['failed', 'unknown'])
          .execute();
        if (chosen.length === 0) return { kind: 'nothing' };
        // Invited by another request meanwhile: a duplicate now, however this one went before.
        const earlier =
          row.again === 1
            ? new Map<string, Previous>()
            : await this.earlierInvitations(trx, { service: row.service, workspaceId: row.workspace_id, keys: chosen.map((invitee) => invitee.email_key), excludeRequestId: row.id }, guards.duplicateWindowMs, now);
        const resend = chosen.filter((invitee) => !earlier.has(invitee.email_key));
        const spent = await this.spentBudget(trx, row.user_id, team, guards.budget.windowMs, now);
        const refusal = budgetRefusal(spent, resend.length, guards.budget, now);
        if (refusal) return { kind: 'over_budget', budget: refusal };
        for (const invitee of chosen) {
          const previous = earlier.get(invitee.email_key);
          await trx
            .updateTable('invitees')
            .set({
              state: previous ? 'skipped' : 'queued',
              skip_reason: previous ? 'duplicate' : null,
              previous_user_id: previous?.userId ?? null,
              previous_at: previous?.at ?? null,
              check_first: invitee.state === 'unknown' ? 1 : 0,
              ...errorColumns(undefined),
              reported_at: null,
              resolved_at: previous ? now : null,
              sent_at: null,
              updated_at: now,
            })
            .where('id', '=', invitee.id)
            .execute();
        }
        // Shown as a request under way again: the summary updates, and new failures get new replies.
        await trx.updateTable('requests').set({ finished_at: null, delivered_at: null }).where('id', '=', row.id).execute();
        await this.changed(trx, [row.id], now);
        if (resend.length > 0) await this.dialect.announceWork(trx);
        const after = await trx.selectFrom('invitees').selectAll().where('id', 'in', chosen.map((invitee) => invitee.id)).orderBy('position').execute();
        return { kind: 'queued', invitees: after.map(toStoredInvitee) };
      }),
    );
  }

  async holdForLink(requestId: number, inviteeIds: readonly number[], owner: string, now: number): Promise<boolean> {
    return this.dialect.retryBusy(async () =>
      this.db.transaction().execute(async (trx) => {
        if (inviteeIds.length > 0) {
          await trx
            .updateTable('invitees')
            .set({ state: 'queued', lease_owner: null, lease_until: null, sent_at: null, updated_at: now })
            .where('id', 'in', [...inviteeIds])
            .where('request_id', '=', requestId)
            .where('state', '=', 'sending')
            .where('lease_owner', '=', owner)
            .execute();
        }
        const held = await trx
          .updateTable('requests')
          .set({ status: REQUEST_STATUS.awaitingLink, awaiting_link_since: now })
          .where('id', '=', requestId)
          .where('status', '=', REQUEST_STATUS.active)
          .executeTakeFirst();
        const started = Number(held.numUpdatedRows) > 0;
        // People see the summary say it waits for a reconnect.
        if (started) await this.changed(trx, [requestId], now);
        return started;
      }),
    );
  }

  /** Each request these invitees belong to, with those of its invitees in order. */
  private async withTheirRequests(invitees: readonly InviteeRow[]): Promise<RequestReport[]> {
    if (invitees.length === 0) return [];
    const requests = await this.db.selectFrom('requests').selectAll().where('id', 'in', [...new Set(invitees.map((row) => row.request_id))]).execute();
    return requests.map((row) => ({
      request: toStoredRequest(row),
      invitees: invitees.filter((invitee) => invitee.request_id === row.id).sort(byPosition).map(toStoredInvitee),
    }));
  }

  async dueFollowUps(now: number, limit: number): Promise<RequestReport[]> {
    return this.dialect.retryBusy(async () => {
      const due = await this.db
        .selectFrom('invitees')
        .innerJoin('requests', 'requests.id', 'invitees.request_id')
        .selectAll('invitees')
        .where('invitees.followup_due_at', '<=', now)
        .where('invitees.state', '=', 'invited')
        .where('invitees.joined_at', 'is', null)
        .where('requests.service', '=', 'kantata')
        .orderBy('invitees.followup_due_at')
        .limit(limit)
        .execute();
      return this.withTheirRequests(due);
    });
  }

  async recordFollowUp(inviteeIds: readonly number[], joinedIds: readonly number[], now: number): Promise<void> {
    return this.dialect.retryBusy(async () => {
      if (inviteeIds.length === 0) return;
      await this.db.transaction().execute(async (trx) => {
        const rows = await trx.selectFrom('invitees').select(['id', 'request_id', 'resolved_at', 'followup_step']).where('id', 'in', [...inviteeIds]).execute();
        const joined = new Set(joinedIds);
        for (const row of rows) {
          if (joined.has(row.id)) {
            await trx.updateTable('invitees').set({ joined_at: now, followup_due_at: null, updated_at: now }).where('id', '=', row.id).execute();
            continue;
          }
          const step = row.followup_step + 1;
          const next = FOLLOW_UP_STEPS_MS[step];
          const dueAt = next !== undefined ? Number(row.resolved_at ?? now) + next : null;
          await trx.updateTable('invitees').set({ followup_step: step, followup_due_at: dueAt, updated_at: now }).where('id', '=', row.id).execute();
        }
        const changedRequests = [...new Set(rows.filter((row) => joined.has(row.id)).map((row) => row.request_id))];
        // "joined" shows in a summary that may have said its last word: it is updated once more.
        if (changedRequests.length > 0) await trx.updateTable('requests').set({ delivered_at: null }).where('id', 'in', changedRequests).execute();
        await this.changed(trx, changedRequests, now);
      });
    });
  }

  /** Every invitee still waiting in these requests fails: never sent, for the reason given. */
  private async failWaiting(trx: Transaction<LedgerDatabase>, requestIds: readonly number[], kind: 'denied' | 'expired', reason: string | undefined, now: number): Promise<void> {
    if (requestIds.length === 0) return;
    await trx
      .updateTable('invitees')
      .set({ state: 'failed', ...errorColumns({ kind, ...(reason ? { reason } : {}) }), resolved_at: now, updated_at: now })
      .where('request_id', 'in', [...requestIds])
      .where('state', '=', 'queued')
      .execute();
  }

  async resumeAfterLink(person: { readonly teamId?: string; readonly userId: string }, service: ServiceName, identity: LinkedIdentity, now: number): Promise<StoredRequest[]> {
    return this.dialect.retryBusy(async () =>
      this.db.transaction().execute(async (trx) => {
        const resumed = await trx
          .updateTable('requests')
          .set({ status: REQUEST_STATUS.active, awaiting_link_since: null, ...identityColumns(identity) })
          .where('status', '=', REQUEST_STATUS.awaitingLink)
          .where('user_id', '=', person.userId)
          .where(sql<string>`coalesce(team_id, '')`, '=', person.teamId ?? '')
          .where('service', '=', service)
          .returningAll()
          .execute();
        if (resumed.length === 0) return [];
        await this.changed(trx, resumed.map((row) => row.id), now);
        await this.dialect.announceWork(trx);
        return resumed.map(toStoredRequest);
      }),
    );
  }

  async expireAwaitingLink(before: number, now: number): Promise<number> {
    return this.dialect.retryBusy(async () =>
      this.db.transaction().execute(async (trx) => {
        const expired = await trx
          .updateTable('requests')
          .set({ status: REQUEST_STATUS.active, awaiting_link_since: null })
          .where('status', '=', REQUEST_STATUS.awaitingLink)
          .where('awaiting_link_since', '<', before)
          .returning('id')
          .execute();
        if (expired.length === 0) return 0;
        const ids = expired.map((row) => row.id);
        await trx
          .updateTable('invitees')
          .set({ state: 'failed', ...errorColumns({ kind: 'authentication', reason: NOT_RECONNECTED }), updated_at: now, resolved_at: now })
          .where('request_id', 'in', ids)
          .where('state', '=', 'queued')
          .execute();
        await this.changed(trx, ids, now);
        return ids.length;
      }),
    );
  }

  async recent(filter: RecentFilter, limit: number): Promise<UnfinishedRequest[]> {
    return this.dialect.retryBusy(async () => {
      let query = this.db.selectFrom('requests').selectAll();
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      if (filter.teamId !== undefined) query = query.where(sql<string>`coalesce(team_id, '')`, '=', filter.teamId);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return this.withCounts(rows);
    });
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.onClose();
  }

  /** Each request with its invitees counted by state. */
  private async withCounts(rows: readonly RequestRow[]): Promise<UnfinishedRequest[]> {
    if (rows.length === 0) return [];
    const counts = await this.db
      .selectFrom('invitees')
      .select(['request_id', 'state', (eb) => eb.fn.countAll<number>().as('count')])
      .where('request_id', 'in', rows.map((row) => row.id))
      .groupBy(['request_id', 'state'])
      .execute();
    return rows.map((row) => ({
      request: toStoredRequest(row),
      counts: Object.fromEntries(counts.filter((count) => count.request_id === row.id).map((count) => [count.state, Number(count.count)])),
    }));
  }

  /**
   * Something people see changed: bump the version, note when all is done, and tell delivery when to look:
   * at once, unless Slack must not be asked yet (an update within 3 s of the last, a small request's
   * first post before its 5 s, a backoff after failures). Every outcome would otherwise wake delivery for
   * nothing.
   */
  private async changed(trx: Transaction<LedgerDatabase>, requestIds: readonly number[], now: number): Promise<void> {
    if (requestIds.length === 0) return;
    const stillRunning = sql<boolean>`exists (select 1 from invitees i where i.request_id = requests.id and i.state in ('queued', 'sending'))`;
    const at = sql`cast(${now} as bigint)`;
    await trx
      .updateTable('requests')
      .set((eb) => ({
        version: eb('version', '+', 1),
        delivery_due_at: sql<number>`case
          when delivery_failures > 0 and delivery_due_at is not null then delivery_due_at
          when summary_ts is not null and last_update_at is not null and last_update_at + ${UPDATE_SPACING_MS} > ${at} then last_update_at + ${UPDATE_SPACING_MS}
          when summary_ts is null and delivery_due_at is not null and ${stillRunning} then delivery_due_at
          else ${at} end`,
        finished_at: sql<number | null>`coalesce(finished_at, case when ${stillRunning} then null else ${at} end)`,
      }))
      .where('id', 'in', [...requestIds])
      .execute();
  }

  private async withInvitees(rows: readonly RequestRow[]): Promise<RequestReport[]> {
    if (rows.length === 0) return [];
    const invitees = await this.db.selectFrom('invitees').selectAll().where('request_id', 'in', rows.map((row) => row.id)).orderBy('position').execute();
    return rows.map((row) => ({ request: toStoredRequest(row), invitees: invitees.filter((invitee) => invitee.request_id === row.id).map(toStoredInvitee) }));
  }

  /** The latest earlier invitation of each address to the same workspace, within the window. */
  private async earlierInvitations(db: Db, asked: { service: string; workspaceId: string; keys: readonly string[]; excludeRequestId?: number }, windowMs: number, now: number): Promise<Map<string, Previous>> {
    let query = db
      .selectFrom('invitees')
      .innerJoin('requests', 'requests.id', 'invitees.request_id')
      .select(['invitees.email_key', 'requests.user_id', 'invitees.created_at'])
      .where('invitees.email_key', 'in', [...asked.keys])
      .where('invitees.created_at', '>', now - windowMs)
      .where('invitees.state', 'in', [...COUNTED_STATES])
      .where('requests.service', '=', asked.service)
      .where('requests.workspace_id', '=', asked.workspaceId);
    if (asked.excludeRequestId !== undefined) query = query.where('requests.id', '!=', asked.excludeRequestId);
    const rows = await query.orderBy('invitees.created_at', 'desc').execute();
    const earlier = new Map<string, Previous>();
    for (const row of rows) if (!earlier.has(row.email_key)) earlier.set(row.email_key, { userId: row.user_id, at: row.created_at });
    return earlier;
  }

  /** What the person spent in the window: invitations that went out or may have, per request, oldest first. */
  private async spentBudget(db: Db, userId: string, team: string, windowMs: number, now: number): Promise<BudgetEntry[]> {
    const rows = await db
      .selectFrom('requests')
      .innerJoin('invitees', 'invitees.request_id', 'requests.id')
      .select(['requests.id', 'requests.created_at', (eb) => eb.fn.countAll<number>().as('count')])
      .where('requests.user_id', '=', userId)
      .where(sql<string>`coalesce(requests.team_id, '')`, '=', team)
      .where('requests.created_at', '>', now - windowMs)
      .where('invitees.state', 'in', [...COUNTED_STATES])
      .groupBy(['requests.id', 'requests.created_at'])
      .orderBy('requests.created_at')
      .execute();
    return rows.map((row) => ({ at: row.created_at, count: Number(row.count) }));
  }
}

interface Previous {
  readonly userId: string;
  readonly at: number;
}

interface BudgetEntry {
  readonly at: number;
  readonly count: number;
}

/**
 * At most `limit` invitations per person in any sliding window: undefined when `count` more fit, else how
 * many are left and when enough frees up (never, when the request alone is over the limit).
 */
export function budgetRefusal(spent: readonly BudgetEntry[], count: number, budget: GuardSettings['budget'], now: number): OverBudget | undefined {
  const current = spent.filter((entry) => now - entry.at < budget.windowMs);
  const used = current.reduce((sum, entry) => sum + entry.count, 0);
  if (used + count <= budget.limit) return undefined;
  const refusal: OverBudget = { limit: budget.limit, windowMs: budget.windowMs, remaining: Math.max(0, budget.limit - used) };
  if (count > budget.limit) return refusal;
  let freed = 0;
  for (const entry of current) {
    freed += entry.count;
    if (used - freed + count <= budget.limit) return { ...refusal, availableAt: entry.at + budget.windowMs };
  }
  return refusal;
}

function byPosition(a: InviteeRow, b: InviteeRow): number {
  return a.position - b.position;
}

/** Why a request's queued invitees failed after waiting too long for a reconnect. */
export const NOT_RECONNECTED = 'account not reconnected';

function identityColumns(identity: RequestIdentity | undefined) {
  if (!identity) return {};
  return identity.kind === 'linked'
    ? { identity_kind: 'linked', identity_link_id: identity.linkId, identity_user_id: identity.serviceUserId, identity_name: identity.serviceUserName ?? null }
    : { identity_kind: 'shared', identity_link_id: null, identity_user_id: null, identity_name: null };
}

function identityOf(row: RequestRow): RequestIdentity | undefined {
  if (row.identity_kind === 'shared') return { kind: 'shared' };
  if (row.identity_kind !== 'linked' || row.identity_link_id === null) return undefined;
  return {
    kind: 'linked',
    linkId: row.identity_link_id,
    serviceUserId: row.identity_user_id ?? '',
    ...(row.identity_name ? { serviceUserName: row.identity_name } : {}),
  };
}

function errorColumns(error: OutcomeError | undefined) {
  return {
    error_kind: error?.kind ?? null,
    upstream_status: error?.httpStatus ?? null,
    upstream_code: error?.code ?? null,
    upstream_message: error?.serviceMessage ?? null,
    retry_after_ms: error?.retryAfterMs ?? null,
    error_reason: error?.reason ?? null,
  };
}

export function toStoredRequest(row: RequestRow): StoredRequest {
  const identity = identityOf(row);
  const summary =
    row.summary_channel && row.summary_ts ? { channel: row.summary_channel, ts: row.summary_ts, via: (row.summary_via ?? 'channel') as 'channel' } : undefined;
  return {
    id: row.id,
    ref: row.ref,
    ...(row.team_id ? { teamId: row.team_id } : {}),
    userId: row.user_id,
    channelId: row.channel_id,
    ...(row.response_url ? { responseUrl: row.response_url } : {}),
    source: row.source as StoredRequest['source'],
    service: row.service as ServiceName,
    workspaceId: row.workspace_id,
    ...(row.workspace_title ? { workspaceTitle: row.workspace_title } : {}),
    ...(row.role ? { role: row.role as 'maven' | 'buyer' } : {}),
    ...(row.subject ? { subject: row.subject } : {}),
    ...(row.message ? { message: row.message } : {}),
    messageLength: row.message_length,
    again: row.again === 1,
    createdAt: Number(row.created_at),
    version: row.version,
    deliveredVersion: row.delivered_version,
    ...(summary ? { summary } : {}),
    ...(row.summary_posting_at !== null ? { summaryPostingAt: Number(row.summary_posting_at) } : {}),
    ...(row.summary_reposted === 1 ? { summaryReposted: true as const } : {}),
    ...(row.last_update_at !== null ? { lastUpdateAt: Number(row.last_update_at) } : {}),
    deliveryFailures: row.delivery_failures,
    ...(row.finished_at !== null ? { finishedAt: Number(row.finished_at) } : {}),
    ...(row.delivered_at !== null ? { deliveredAt: Number(row.delivered_at) } : {}),
    status: row.status as RequestStatus,
    ...(row.approval_reason !== null && row.approval_expires_at !== null
      ? { approval: { reason: row.approval_reason as ApprovalReason, expiresAt: Number(row.approval_expires_at) } }
      : {}),
    ...(decisionOf(row) ? { decision: decisionOf(row) as Decision } : {}),
    ...(row.decision_announced_at !== null ? { decisionAnnouncedAt: Number(row.decision_announced_at) } : {}),
    ...(identity ? { identity } : {}),
    ...(row.awaiting_link_since !== null && row.awaiting_link_since !== undefined ? { awaitingLinkSince: Number(row.awaiting_link_since) } : {}),
  };
}

function decisionOf(row: RequestRow): Decision | undefined {
  if (row.decided_at === null) return undefined;
  const kind = row.status === 'expired' ? 'expired' : row.status === 'denied' ? 'denied' : 'approved';
  return { kind, at: Number(row.decided_at), ...(row.decided_by ? { by: row.decided_by } : {}), ...(row.decision_reason ? { reason: row.decision_reason } : {}) };
}

export function toStoredInvitee(row: InviteeRow): StoredInvitee {
  const error: OutcomeError | undefined = row.error_kind
    ? {
        kind: row.error_kind as OutcomeError['kind'],
        ...(row.upstream_status !== null ? { httpStatus: row.upstream_status } : {}),
        ...(row.upstream_code !== null ? { code: row.upstream_code } : {}),
        ...(row.upstream_message !== null ? { serviceMessage: row.upstream_message } : {}),
        ...(row.retry_after_ms !== null ? { retryAfterMs: Number(row.retry_after_ms) } : {}),
        ...(row.error_reason !== null ? { reason: row.error_reason } : {}),
      }
    : undefined;
  return {
    id: row.id,
    requestId: row.request_id,
    position: row.position,
    email: row.email,
    ...(row.full_name ? { fullName: row.full_name } : {}),
    state: row.state as InviteeState,
    attempts: row.attempts,
    ...(row.invitation_id !== null ? { invitationId: row.invitation_id } : {}),
    ...(error ? { error } : {}),
    ...(row.previous_user_id !== null && row.previous_at !== null ? { previous: { userId: row.previous_user_id, at: Number(row.previous_at) } } : {}),
    ...(row.reported_at !== null ? { reportedAt: Number(row.reported_at) } : {}),
    ...(row.skip_reason === 'member' && row.member_role ? { member: { role: row.member_role as 'maven' | 'buyer' } } : {}),
    ...(row.joined_at !== null ? { joinedAt: Number(row.joined_at) } : {}),
    ...(row.followup_due_at !== null ? { followUp: { dueAt: Number(row.followup_due_at), step: row.followup_step } } : {}),
    ...(row.check_first === 1 ? { checkFirst: true as const } : {}),
    createdAt: Number(row.created_at),
    ...(row.sent_at !== null ? { sentAt: Number(row.sent_at) } : {}),
    ...(row.resolved_at !== null ? { resolvedAt: Number(row.resolved_at) } : {}),
  };
}
