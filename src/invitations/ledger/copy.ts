import { sql, type Kysely, type Transaction } from 'kysely';
import type { LinksDatabase } from '../../identity/schema.js';
import type { StorageLocation } from '../../config.js';
import { openDatabase, StorageError } from './open.js';

const BATCH = 500;

export interface CopyReport {
  readonly requests: number;
  readonly invitees: number;
  /** People's linked accounts (tokens copied sealed, as they are: the same TOKEN_ENCRYPTION_KEY opens them). */
  readonly links: number;
}

/**
 * Copies a whole ledger from one store into an empty other one, ids included, so references and thread
 * messages stay valid: the move from the SQLite file to PostgreSQL. The source is held exclusively
 * meanwhile, so a bot still running on it makes the copy stop before it starts.
 */
export async function copyLedger(from: StorageLocation, to: StorageLocation): Promise<CopyReport> {
  const source = await openDatabase(from, { exclusive: true });
  try {
    const target = await openDatabase(to);
    try {
      const existing = await target.db.selectFrom('requests').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
      if (Number(existing.count) > 0) throw new StorageError('migration_failed', 'the target already holds requests: copy into an empty store only');
      let requests = 0;
      let invitees = 0;
      let links = 0;
      // Same database file or server, other tables: Kysely types each set on its own.
      const linkSource = source.db as unknown as Kysely<LinksDatabase>;
      await target.db.transaction().execute(async (trx) => {
        for (let offset = 0; ; offset += BATCH) {
          const rows = await source.db.selectFrom('requests').selectAll().orderBy('id').limit(BATCH).offset(offset).execute();
          if (rows.length === 0) break;
          await trx.insertInto('requests').values(rows).execute();
          requests += rows.length;
        }
        for (let offset = 0; ; offset += BATCH) {
          const rows = await source.db.selectFrom('invitees').selectAll().orderBy('id').limit(BATCH).offset(offset).execute();
          if (rows.length === 0) break;
          await trx.insertInto('invitees').values(rows).execute();
          invitees += rows.length;
        }
        for (let offset = 0; ; offset += BATCH) {
          const rows = await source.db.selectFrom('approval_messages').selectAll().orderBy('id').limit(BATCH).offset(offset).execute();
          if (rows.length === 0) break;
          await trx.insertInto('approval_messages').values(rows).execute();
        }
        const linkTarget = trx as unknown as Transaction<LinksDatabase>;
        for (let offset = 0; ; offset += BATCH) {
          const rows = await linkSource.selectFrom('account_links').selectAll().orderBy('id').limit(BATCH).offset(offset).execute();
          if (rows.length === 0) break;
          await linkTarget.insertInto('account_links').values(rows).execute();
          links += rows.length;
        }
        if (to.kind === 'postgres') {
          // Rows came with their ids: new ones must start after them.
          for (const table of ['requests', 'invitees', 'approval_messages', 'account_links'] as const) {
            await sql`select setval(pg_get_serial_sequence(${table}, 'id'), coalesce((select max(id) from ${sql.table(table)}), 0) + 1, false)`.execute(trx);
          }
        }
      });
      return { requests, invitees, links };
    } finally {
      await target.db.destroy().then(target.release);
    }
  } finally {
    await source.db.destroy().then(source.release);
  }
}
