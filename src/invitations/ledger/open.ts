import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  sql,
  SqliteDialect,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Migration,
  type SchemaMetadata,
  type SqliteDatabase,
  type TableMetadata,
} from 'kysely';
import pg from 'pg';
import type { Ledger } from './ledger.js';
import { ledgerMigrations, type StoreKind } from './migrations.js';
import type { LedgerDatabase } from './schema.js';
import { SqlLedger, type StoreDialect } from './sql-ledger.js';
import { openSqliteFile, type SqliteConnection, type SqliteStatement } from './sqlite-driver.js';
import { lockDataDirectory, retrySqliteBusy, SQLITE_FILE } from './sqlite-files.js';
import { StorageError } from './storage-error.js';

export { SQLITE_FILE, StorageError };

import type { StorageLocation } from '../../config.js';

/** PostgreSQL's channel for "work was added", heard by every replica's sender. */
export const WORK_CHANNEL = 'invite_bot_work';

export interface OpenOptions {
  /**
   * Hold the SQLite data directory for this process alone (the main thread does; the sender thread in the
   * same process shares it). PostgreSQL needs no such lock.
   */
  readonly exclusive?: boolean;
  /** Connections in this process's pool (PostgreSQL). */
  readonly poolSize?: number;
  /** PostgreSQL schema to use instead of `public` (tests isolate themselves this way). */
  readonly schema?: string;
}

/** Opens the configured store, applies pending migrations under a lock, and returns the ledger. */
export async function openLedger(storage: StorageLocation, options: OpenOptions = {}): Promise<Ledger> {
  const opened = await openDatabase(storage, options);
  return new SqlLedger(opened.db, opened.dialect, opened.release);
}

/** The store's tables, migrated, for what works below the ledger's contract (copying one store into another). */
export async function openDatabase(storage: StorageLocation, options: OpenOptions = {}): Promise<Opened> {
  const opened = storage.kind === 'sqlite' ? openSqlite(storage.dataDir, options) : openPostgres(storage.url, options);
  try {
    await migrate(opened.db, storage.kind, opened.serialiseMigrations);
  } catch (error) {
    await opened.db.destroy().then(opened.release);
    throw error instanceof StorageError ? error : new StorageError('migration_failed', `the ledger's schema could not be brought up to date: ${describe(error)}`, { cause: error });
  }
  return opened;
}

export interface Opened {
  readonly db: Kysely<LedgerDatabase>;
  readonly dialect: StoreDialect;
  readonly release: () => Promise<void>;
  /**
   * Kysely's migrator locks PostgreSQL itself; on SQLite it assumes one connection, so two openers (the
   * main and the sender thread) hold the file's write lock around it instead.
   */
  readonly serialiseMigrations: <T>(run: () => Promise<T>) => Promise<T>;
}

async function migrate(db: Kysely<LedgerDatabase>, kind: StoreKind, serialise: <T>(run: () => Promise<T>) => Promise<T>): Promise<void> {
  const migrations = ledgerMigrations(kind);
  // Without a schema, Kysely takes migration tables found in any schema of the database for this one's,
  // and a second ledger in the same database (another schema) would never create its own.
  const schema = kind === 'postgres' ? (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async (): Promise<Record<string, Migration>> => migrations },
    migrationTableName: 'ledger_migrations',
    migrationLockTableName: 'ledger_migrations_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await serialise(() => migrator.migrateToLatest());
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new StorageError('migration_failed', `migration ${failed} failed: ${describe(error)}`, { cause: error });
  }
}

function openSqlite(dataDir: string, options: OpenOptions): Opened {
  mkdirSync(dataDir, { recursive: true });
  const releaseLock = options.exclusive ? lockDataDirectory(dataDir) : undefined;
  const database = openSqliteFile(join(dataDir, SQLITE_FILE));
  database.exec('pragma journal_mode = WAL');
  // Every commit reaches the disk before the person is told "accepted".
  database.exec('pragma synchronous = FULL');
  // The other thread's writes are waited for in retryBusy, asynchronously: SQLite's own busy handler
  // sleeps inside the call and would stop this thread's event loop (and the acks) meanwhile.
  database.exec('pragma busy_timeout = 0');
  database.exec('pragma foreign_keys = ON');
  const db = new Kysely<LedgerDatabase>({ dialect: new SqliteDialect({ database: immediateTransactions(database) }) });
  const dialect: StoreDialect = {
    kind: 'sqlite',
    rowLocks: false,
    // One writer at a time already: transactions begin IMMEDIATE, so nothing else can interleave.
    lockKey: async () => undefined,
    announceWork: async () => undefined,
    retryBusy: retrySqliteBusy,
  };
  const serialiseMigrations = async <T>(run: () => Promise<T>): Promise<T> => {
    await retrySqliteBusy(async () => database.exec('BEGIN IMMEDIATE'));
    try {
      const result = await run();
      database.exec('COMMIT');
      return result;
    } catch (error) {
      if (database.inTransaction) database.exec('ROLLBACK');
      throw error;
    }
  };
  return { db, dialect, release: async () => releaseLock?.(), serialiseMigrations };
}

/**
 * Kysely begins SQLite transactions DEFERRED; two connections (the main thread's and the sender thread's)
 * that both read and then write would then fail with SQLITE_BUSY instead of waiting. IMMEDIATE takes the
 * write lock up front, so busy_timeout applies. Prepared statements are kept and reused.
 */
function immediateTransactions(database: SqliteConnection): SqliteDatabase {
  const statements = new Map<string, KyselyStatement>();
  return {
    close: () => database.close(),
    prepare(text: string) {
      const query = text === 'begin' ? 'begin immediate' : text;
      let statement = statements.get(query);
      if (!statement) {
        statement = forKysely(database.prepare(query));
        if (statements.size >= 500) statements.clear();
        statements.set(query, statement);
      }
      return statement;
    },
  };
}

type KyselyStatement = ReturnType<SqliteDatabase['prepare']>;

/** Kysely passes the parameters as one array. */
function forKysely(statement: SqliteStatement): KyselyStatement {
  return {
    reader: statement.reader,
    all: (parameters) => statement.all(...parameters),
    run: (parameters) => statement.run(...parameters),
    iterate: (parameters) => statement.iterate(...parameters),
  };
}

const INT8_OID = 20;

/** Times are int8 (bigint) columns of milliseconds: well within a double, so read them as numbers. */
export function postgresPool(url: string, options: { max?: number; schema?: string } = {}): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
  });
}

function openPostgres(url: string, options: OpenOptions): Opened {
  const pool = postgresPool(url, { max: options.poolSize ?? 10, ...(options.schema ? { schema: options.schema } : {}) });
  // An idle client that loses its server must not take the process down: the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<LedgerDatabase>({ dialect: new SchemaScopedPostgresDialect({ pool }) });
  const dialect: StoreDialect = {
    kind: 'postgres',
    rowLocks: true,
    lockKey: async (trx, key) => {
      await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
    },
    announceWork: async (trx) => {
      await sql`select pg_notify(${WORK_CHANNEL}, '')`.execute(trx);
    },
    // PostgreSQL waits for its locks by itself without blocking this process.
    retryBusy: (run) => run(),
  };
  return { db, dialect, release: async () => undefined, serialiseMigrations: (run) => run() };
}

/**
 * Kysely's migrator asks the introspector which tables exist. Its PostgreSQL introspector reads every
 * schema's tables and columns at once, which fails when another schema is dropped meanwhile (tests run
 * many ledgers side by side, one schema each). Only the migration tables' names are needed, in this
 * connection's own schema: this introspector reads just those.
 */
class SchemaScopedIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select schema_name as name from information_schema.schemata where schema_name = current_schema()`.execute(this.db);
    return rows.map((row) => ({ name: row.name }));
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; type: string }>`
      select table_name as name, table_schema as schema, table_type as type from information_schema.tables where table_schema = current_schema()`.execute(this.db);
    return rows.map((row) => ({ name: row.name, schema: row.schema, isView: row.type === 'VIEW', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

class SchemaScopedPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SchemaScopedIntrospector(db);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
