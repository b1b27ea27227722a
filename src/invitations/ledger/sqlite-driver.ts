import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/** A prepared statement; parameters are bound positionally. */
export interface SqliteStatement {
  /** True if the statement returns rows (a select, or a write with `returning`). */
  readonly reader: boolean;
  all(...parameters: unknown[]): unknown[];
  get(...parameters: unknown[]): unknown;
  run(...parameters: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...parameters: unknown[]): IterableIterator<unknown>;
}

/** One connection to a SQLite file. */
export interface SqliteConnection {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  readonly inTransaction: boolean;
  close(): void;
}

/**
 * better-sqlite3 12 (the last line that builds for Node 20) aborts the process on Node 24 and later: its
 * statements' destructors assert that Node's environment still exists, and during a worker thread's or the
 * process's teardown it no longer does (WiseLibs/better-sqlite3#1515, fixed only in 13, which needs Node 22).
 * Node 24 has SQLite built in, so there the bot uses that and never loads the add-on.
 */
export const SQLITE_ENGINE: 'better-sqlite3' | 'node:sqlite' = Number(process.versions.node.split('.')[0]) >= 24 ? 'node:sqlite' : 'better-sqlite3';

/** Opens (creating if need be) the SQLite file at `path`. */
export function openSqliteFile(path: string): SqliteConnection {
  return SQLITE_ENGINE === 'node:sqlite' ? openWithNodeSqlite(path) : openWithBetterSqlite3(path);
}

/** SQLite's primary result codes that mean "another connection holds the lock: try again". */
const BUSY_CODES: ReadonlyMap<number, string> = new Map([
  [5, 'SQLITE_BUSY'],
  [6, 'SQLITE_LOCKED'],
]);

function openWithBetterSqlite3(path: string): SqliteConnection {
  // Loaded only here, so that Node 24 never loads the add-on (see SQLITE_ENGINE).
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  const database = new Database(path);
  return {
    exec: (sql) => void database.exec(sql),
    prepare: (sql) => database.prepare(sql) as unknown as SqliteStatement,
    get inTransaction() {
      return database.inTransaction;
    },
    close: () => void database.close(),
  };
}

/** The part of node:sqlite's API used here (@types/node 20 does not describe it). */
interface NodeSqliteModule {
  DatabaseSync: new (path: string) => NodeSqliteDatabase;
}
interface NodeSqliteDatabase {
  readonly isOpen: boolean;
  exec(sql: string): void;
  prepare(sql: string): NodeSqliteStatement;
  readonly isTransaction: boolean;
  close(): void;
}
interface NodeSqliteStatement {
  columns(): unknown[];
  all(...parameters: unknown[]): unknown[];
  get(...parameters: unknown[]): unknown;
  run(...parameters: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...parameters: unknown[]): IterableIterator<unknown>;
}

function openWithNodeSqlite(path: string): SqliteConnection {
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as NodeSqliteModule;
  const database = new DatabaseSync(path);
  return {
    exec: (sql) => withBusyCode(() => database.exec(sql)),
    prepare: (sql) => statementOf(withBusyCode(() => database.prepare(sql))),
    get inTransaction() {
      return database.isTransaction;
    },
    // better-sqlite3 lets a closed database be closed again; node:sqlite throws.
    close: () => {
      if (database.isOpen) database.close();
    },
  };
}

function statementOf(statement: NodeSqliteStatement): SqliteStatement {
  return {
    reader: statement.columns().length > 0,
    all: (...parameters) => withBusyCode(() => statement.all(...bindable(parameters))),
    get: (...parameters) => withBusyCode(() => statement.get(...bindable(parameters))),
    run: (...parameters) => withBusyCode(() => statement.run(...bindable(parameters))),
    iterate: (...parameters) => busyCodedRows(withBusyCode(() => statement.iterate(...bindable(parameters)))),
  };
}

/** better-sqlite3 binds `undefined` as NULL; node:sqlite refuses it. */
function bindable(parameters: unknown[]): unknown[] {
  return parameters.map((parameter) => (parameter === undefined ? null : parameter));
}

/** Rows are read, and a busy file met, only as the iterator advances. */
function* busyCodedRows(rows: IterableIterator<unknown>): IterableIterator<unknown> {
  for (;;) {
    const next = withBusyCode(() => rows.next());
    if (next.done) return;
    yield next.value;
  }
}

/**
 * node:sqlite reports every SQLite failure as ERR_SQLITE_ERROR with the number in `errcode`; the ledger
 * waits out a busy file by better-sqlite3's codes (SQLITE_BUSY…), so those are named the same way.
 */
function withBusyCode<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    const errcode = (error as { errcode?: unknown } | undefined)?.errcode;
    const name = typeof errcode === 'number' ? BUSY_CODES.get(errcode & 0xff) : undefined;
    if (name) (error as { code: string }).code = name;
    throw error;
  }
}
