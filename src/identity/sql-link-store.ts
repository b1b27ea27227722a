import { sql, type Kysely, type Selectable } from 'kysely';
import type { ServiceName } from '../invitations/request.js';
import type { StoreDialect } from '../invitations/ledger/sql-ledger.js';
import type { StoreKind } from '../invitations/ledger/migrations.js';
import type { LinkCount, LinkStatus, LinkStore, NewLink, NewNonce, NonceUse, Person, SealedTokens, StoredLink, StoredNonce } from './link-store.js';
import type { AccountLinksTable, LinkNoncesTable, LinksDatabase } from './schema.js';

type LinkRow = Selectable<AccountLinksTable>;
type NonceRow = Selectable<LinkNoncesTable>;

/** The link store over SQL, the same queries for SQLite and PostgreSQL, on the ledger's database. */
export class SqlLinkStore implements LinkStore {
  readonly kind: StoreKind;

  constructor(
    private readonly db: Kysely<LinksDatabase>,
    private readonly dialect: Pick<StoreDialect, 'kind' | 'retryBusy'>,
    /** The database is the ledger's, which closes it; a store opened on its own closes it here. */
    private readonly onClose: () => Promise<void> = async () => undefined,
  ) {
    this.kind = dialect.kind;
  }

  findLink(person: Person, service: ServiceName): Promise<StoredLink | undefined> {
    return this.dialect.retryBusy(async () => {
      const row = await this.db
        .selectFrom('account_links')
        .selectAll()
        .where('team_id', '=', person.teamId)
        .where('user_id', '=', person.userId)
        .where('service', '=', service)
        .executeTakeFirst();
      return row ? toStoredLink(row) : undefined;
    });
  }

  getLink(id: number): Promise<StoredLink | undefined> {
    return this.dialect.retryBusy(async () => {
      const row = await this.db.selectFrom('account_links').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toStoredLink(row) : undefined;
    });
  }

  linksOf(person: Person): Promise<StoredLink[]> {
    return this.dialect.retryBusy(async () => {
      const rows = await this.db.selectFrom('account_links').selectAll().where('team_id', '=', person.teamId).where('user_id', '=', person.userId).orderBy('service').execute();
      return rows.map(toStoredLink);
    });
  }

  saveLink(link: NewLink, now: number): Promise<StoredLink> {
    return this.dialect.retryBusy(async () => {
      const tokens = tokenColumns(link.tokens);
      const account = { service_user_id: link.serviceUserId, service_user_name: link.serviceUserName ?? null };
      const row = await this.db
        .insertInto('account_links')
        .values({
          team_id: link.teamId,
          user_id: link.userId,
          service: link.service,
          status: 'active',
          ...account,
          ...tokens,
          token_version: 1,
          created_at: now,
          updated_at: now,
        })
        .onConflict((conflict) =>
          conflict.columns(['team_id', 'user_id', 'service']).doUpdateSet({
            status: 'active',
            ...account,
            ...tokens,
            token_version: sql<number>`account_links.token_version + 1`,
            updated_at: now,
            broken_at: null,
            broken_reason: null,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return toStoredLink(row);
    });
  }

  replaceTokens(id: number, expectedVersion: number, tokens: SealedTokens, now: number): Promise<StoredLink | undefined> {
    return this.dialect.retryBusy(async () => {
      const row = await this.db
        .updateTable('account_links')
        .set({ ...tokenColumns(tokens), token_version: expectedVersion + 1, updated_at: now })
        .where('id', '=', id)
        .where('token_version', '=', expectedVersion)
        .returningAll()
        .executeTakeFirst();
      return row ? toStoredLink(row) : undefined;
    });
  }

  markBroken(id: number, expectedVersion: number, reason: string, now: number): Promise<boolean> {
    return this.dialect.retryBusy(async () => {
      const result = await this.db
        .updateTable('account_links')
        .set({ status: 'broken', broken_at: now, broken_reason: reason, updated_at: now })
        .where('id', '=', id)
        .where('token_version', '=', expectedVersion)
        .where('status', '=', 'active')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  deleteLink(person: Person, service: ServiceName): Promise<boolean> {
    return this.dialect.retryBusy(async () => {
      const result = await this.db
        .deleteFrom('account_links')
        .where('team_id', '=', person.teamId)
        .where('user_id', '=', person.userId)
        .where('service', '=', service)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  linkCounts(): Promise<LinkCount[]> {
    return this.dialect.retryBusy(async () => {
      const rows = await this.db
        .selectFrom('account_links')
        .select(['service', 'status', (eb) => eb.fn.countAll<number>().as('count')])
        .groupBy(['service', 'status'])
        .orderBy('service')
        .orderBy('status')
        .execute();
      return rows.map((row) => ({ service: row.service as ServiceName, status: row.status as LinkStatus, count: Number(row.count) }));
    });
  }

  createNonce(nonce: NewNonce): Promise<void> {
    return this.dialect.retryBusy(async () => {
      await this.db
        .insertInto('link_nonces')
        .values({
          nonce_hash: nonce.nonceHash,
          team_id: nonce.teamId,
          user_id: nonce.userId,
          service: nonce.service,
          pending: nonce.pending ?? null,
          created_at: nonce.createdAt,
          expires_at: nonce.expiresAt,
        })
        .execute();
    });
  }

  startSignIn(nonceHash: string, stateHash: string, browserHash: string, now: number): Promise<NonceUse> {
    return this.dialect.retryBusy(async () => {
      const started = await this.db
        .updateTable('link_nonces')
        .set({ started_at: now, state_hash: stateHash, browser_hash: browserHash })
        .where('nonce_hash', '=', nonceHash)
        .where('started_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      if (started) return { kind: 'ok', nonce: toStoredNonce(started) };
      const found = await this.db.selectFrom('link_nonces').select(['started_at']).where('nonce_hash', '=', nonceHash).executeTakeFirst();
      return { kind: !found ? 'unknown' : found.started_at !== null ? 'used' : 'expired' };
    });
  }

  completeSignIn(stateHash: string, now: number, maxAgeMs: number): Promise<NonceUse> {
    return this.dialect.retryBusy(async () => {
      const completed = await this.db
        .updateTable('link_nonces')
        .set({ completed_at: now })
        .where('state_hash', '=', stateHash)
        .where('completed_at', 'is', null)
        .where('started_at', '>', now - maxAgeMs)
        .returningAll()
        .executeTakeFirst();
      if (completed) return { kind: 'ok', nonce: toStoredNonce(completed) };
      const found = await this.db.selectFrom('link_nonces').select(['completed_at']).where('state_hash', '=', stateHash).executeTakeFirst();
      return { kind: !found ? 'unknown' : found.completed_at !== null ? 'used' : 'expired' };
    });
  }

  purgeNonces(before: number): Promise<number> {
    return this.dialect.retryBusy(async () => {
      const result = await this.db
        .deleteFrom('link_nonces')
        .where('expires_at', '<', before)
        .where((eb) => eb.or([eb('started_at', 'is', null), eb('started_at', '<', before)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

function tokenColumns(tokens: SealedTokens) {
  return {
    key_id: tokens.keyId,
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken ?? null,
    expires_at: tokens.expiresAt ?? null,
  };
}

function toStoredLink(row: LinkRow): StoredLink {
  return {
    id: row.id,
    teamId: row.team_id,
    userId: row.user_id,
    service: row.service as ServiceName,
    status: row.status as LinkStatus,
    serviceUserId: row.service_user_id,
    ...(row.service_user_name ? { serviceUserName: row.service_user_name } : {}),
    tokens: {
      keyId: row.key_id,
      accessToken: row.access_token,
      ...(row.refresh_token ? { refreshToken: row.refresh_token } : {}),
      ...(row.expires_at !== null ? { expiresAt: Number(row.expires_at) } : {}),
    },
    tokenVersion: row.token_version,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    ...(row.broken_at !== null ? { brokenAt: Number(row.broken_at) } : {}),
    ...(row.broken_reason ? { brokenReason: row.broken_reason } : {}),
  };
}

function toStoredNonce(row: NonceRow): StoredNonce {
  return {
    teamId: row.team_id,
    userId: row.user_id,
    service: row.service as ServiceName,
    ...(row.pending ? { pending: row.pending } : {}),
    ...(row.browser_hash ? { browserHash: row.browser_hash } : {}),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    ...(row.started_at !== null ? { startedAt: Number(row.started_at) } : {}),
  };
}
