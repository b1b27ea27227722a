import { join } from 'node:path';
import pg from 'pg';
import type { StorageLocation } from '../config.js';
import { openSqliteFile } from '../invitations/ledger/sqlite-driver.js';
import { retrySqliteBusy, SQLITE_REPLAYS_FILE } from '../invitations/ledger/sqlite-files.js';
import { MAX_CLOCK_SKEW_SECONDS, type ReplayGuard } from './receiver.js';

/** The replay guard's memory, in the bot's store, so that it holds across restarts and replicas. */
export interface ReplayStore extends ReplayGuard {
  close(): Promise<void>;
}

/** Slack timestamps are accepted five minutes either way: a signature older than that cannot come back. */
const REMEMBER_MS = 2 * MAX_CLOCK_SKEW_SECONDS * 1000;
/** Old signatures are deleted every this many sightings. */
const PRUNE_EVERY = 500;

const CREATE = 'create table if not exists seen_requests (key text primary key, seen_at bigint not null)';
const INDEX = 'create index if not exists seen_requests_at on seen_requests (seen_at)';
// The row is written when new, or when the one there is older than the window: then it is a new sighting.
const SIGHT = 'insert into seen_requests (key, seen_at) values ($1, $2) on conflict (key) do update set seen_at = $2 where seen_requests.seen_at < $3 returning key';
const PRUNE = 'delete from seen_requests where seen_at < $1';

/**
 * Opens the replay guard's store: in SQLite a file of its own beside the ledger (its writes need no fsync
 * and never wait for the ledger's write lock), in PostgreSQL the ledger's database, through two connections
 * that commit without waiting for the disk. Losing the last signatures in a crash lets nothing through that
 * could do harm: a replay is still signed by Slack, and the ledger's duplicate guard stands behind it.
 */
export async function openReplayStore(storage: StorageLocation): Promise<ReplayStore> {
  return storage.kind === 'sqlite' ? openSqliteReplays(storage.dataDir) : openPostgresReplays(storage.url);
}

function openSqliteReplays(dataDir: string): ReplayStore {
  const database = openSqliteFile(join(dataDir, SQLITE_REPLAYS_FILE));
  database.exec('pragma journal_mode = WAL');
  database.exec('pragma synchronous = OFF');
  database.exec('pragma busy_timeout = 0');
  database.exec(CREATE);
  database.exec(INDEX);
  const sight = database.prepare(SIGHT.replace(/\$\d/g, '?'));
  const prune = database.prepare(PRUNE.replace('$1', '?'));
  let sightings = 0;
  return {
    firstSighting: (signature, nowMs) =>
      retrySqliteBusy(async () => {
        sightings += 1;
        if (sightings % PRUNE_EVERY === 0) prune.run(nowMs - REMEMBER_MS);
        return sight.get(signature, nowMs, nowMs, nowMs - REMEMBER_MS) !== undefined;
      }),
    close: async () => void database.close(),
  };
}

async function openPostgresReplays(url: string): Promise<ReplayStore> {
  // Settings in the URL's `options` (a search_path, say) are kept; pg would let them replace ours otherwise.
  const parsed = new URL(url);
  const settings = [parsed.searchParams.get('options'), '-c synchronous_commit=off'].filter(Boolean).join(' ');
  parsed.searchParams.delete('options');
  const pool = new pg.Pool({ connectionString: parsed.toString(), max: 2, connectionTimeoutMillis: 5_000, options: settings });
  // An idle client that loses its server must not take the process down: the next query reconnects.
  pool.on('error', () => undefined);
  try {
    await pool.query(CREATE);
    await pool.query(INDEX);
  } catch (error) {
    // Replicas starting together may race to create the table; one of them wins, which is all it takes.
    if ((error as { code?: string }).code !== '23505' && (error as { code?: string }).code !== '42P07') throw error;
  }
  let sightings = 0;
  return {
    async firstSighting(signature, nowMs) {
      sightings += 1;
      if (sightings % PRUNE_EVERY === 0) await pool.query(PRUNE, [nowMs - REMEMBER_MS]);
      const { rowCount } = await pool.query(SIGHT, [signature, nowMs, nowMs - REMEMBER_MS]);
      return (rowCount ?? 0) > 0;
    },
    close: async () => {
      if (!pool.ended) await pool.end();
    },
  };
}
