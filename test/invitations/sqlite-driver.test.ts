import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteFile, SQLITE_ENGINE, type SqliteConnection } from '../../src/invitations/ledger/sqlite-driver.js';

// CI runs this file on Node 20 (better-sqlite3) and on Node 24 (node:sqlite): the same behaviour from both.
describe(`SQLite through ${SQLITE_ENGINE}`, () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  function freshDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-driver-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** A connection to `test.sqlite` in `dir` (a new directory unless given). */
  function open(dir = freshDir()): SqliteConnection {
    const connection = openSqliteFile(join(dir, 'test.sqlite'));
    cleanups.push(() => connection.close());
    return connection;
  }

  it('is node:sqlite from Node 24 on, better-sqlite3 before', () => {
    expect(SQLITE_ENGINE).toBe(Number(process.versions.node.split('.')[0]) >= 24 ? 'node:sqlite' : 'better-sqlite3');
  });

  it('tells statements that return rows from those that do not, returning ones included', () => {
    const db = open();
    db.exec('create table t (id integer primary key, v text)');
    expect(db.prepare('select * from t').reader).toBe(true);
    expect(db.prepare('insert into t (v) values (?) returning id').reader).toBe(true);
    expect(db.prepare('insert into t (v) values (?)').reader).toBe(false);
    expect(db.prepare('begin immediate').reader).toBe(false);
  });

  it('binds positional parameters, undefined as NULL, and reports changes and row ids', () => {
    const db = open();
    db.exec('create table t (id integer primary key, v text, n integer)');
    expect(db.prepare('insert into t (v, n) values (?, ?)').run('a', 1)).toMatchObject({ changes: 1, lastInsertRowid: 1 });
    db.prepare('insert into t (v, n) values (?, ?)').run(undefined, 2);
    expect(db.prepare('select v, n from t order by id').all().map((row) => ({ ...(row as object) }))).toEqual([
      { v: 'a', n: 1 },
      { v: null, n: 2 },
    ]);
    expect({ ...(db.prepare('select count(*) as c from t where n > ?').get(0) as object) }).toEqual({ c: 2 });
    expect([...db.prepare('select n from t order by id').iterate()].map((row) => (row as { n: number }).n)).toEqual([1, 2]);
  });

  it('names a locked file SQLITE_BUSY, whichever statement meets it, and knows when a transaction is open', () => {
    const dir = freshDir();
    const first = open(dir);
    first.exec('pragma journal_mode = WAL');
    first.exec('pragma busy_timeout = 0');
    first.exec('create table t (id integer primary key)');
    const second = open(dir);
    second.exec('pragma busy_timeout = 0');
    first.exec('begin immediate');
    expect(first.inTransaction).toBe(true);
    expect(second.inTransaction).toBe(false);
    const busyCode = (run: () => unknown) => {
      try {
        run();
        return 'no error';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(busyCode(() => second.exec('begin immediate'))).toBe('SQLITE_BUSY');
    expect(busyCode(() => second.prepare('insert into t default values').run())).toBe('SQLITE_BUSY');
    first.exec('commit');
    expect(first.inTransaction).toBe(false);
    second.prepare('insert into t default values').run();
  });

  it('may be closed twice', () => {
    const db = open();
    db.close();
    expect(() => db.close()).not.toThrow();
  });
});
