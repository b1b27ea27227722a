import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteFile } from './sqlite-driver.js';
import { StorageError } from './storage-error.js';

/** The files of a SQLite data directory. */
export const SQLITE_FILE = 'ledger.sqlite';
/** The replay guard's signatures, apart from the ledger: written on every request, never worth an fsync. */
export const SQLITE_REPLAYS_FILE = 'replays.sqlite';
const SQLITE_LOCK_FILE = 'ledger.lock';

/**
 * Holds the SQLite data directory for this process alone until the returned function is called: a second
 * bot started on the same directory stops at once instead of sending the same queue twice. The lock is an
 * exclusive transaction on a file beside the ledger; the operating system drops it when the process dies,
 * however it dies. Throws StorageError `data_dir_in_use` if another process holds it.
 */
export function lockDataDirectory(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lock = openSqliteFile(join(dataDir, SQLITE_LOCK_FILE));
  try {
    lock.exec('pragma busy_timeout = 0');
    lock.exec('pragma locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock.close();
    throw new StorageError(
      'data_dir_in_use',
      `another bot process is using the data directory ${dataDir}. A SQLite file serves one process: stop the other one, or set DATABASE_URL to PostgreSQL to run several replicas`,
      { cause: error },
    );
  }
  return () => lock.close();
}

/** Longest a writer waits for the other thread's write lock: far beyond any transaction of the ledger. */
const SQLITE_BUSY_PATIENCE_MS = 10_000;

function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * Runs `run` again after 1, 2, 3… ms (at most 20) while another thread holds the file's write lock. The
 * wait is asynchronous: SQLite's own busy handler would sleep inside the call, stopping this thread's
 * event loop (and the acks) meanwhile.
 */
export async function retrySqliteBusy<T>(run: () => Promise<T>): Promise<T> {
  const startedAt = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (!isSqliteBusy(error) || Date.now() - startedAt > SQLITE_BUSY_PATIENCE_MS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(20, attempt)));
    }
  }
}
