import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Ledger } from '../../src/invitations/ledger/ledger.js';
import type { StorageLocation } from '../../src/config.js';
import { openLedger, type OpenOptions } from '../../src/invitations/ledger/open.js';
import { openStores, type Stores } from '../../src/stores.js';

/** The PostgreSQL the test machines run; TEST_DATABASE_URL points elsewhere. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether PostgreSQL answers. CI sets REQUIRE_POSTGRES=1, so there a missing server fails the run rather
 * than skipping the PostgreSQL half of the contract suite.
 */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    if (process.env.REQUIRE_POSTGRES === '1') throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL is not reachable at ${TEST_DATABASE_URL}: ${String(error)}`);
    console.warn(`PostgreSQL is not reachable at ${TEST_DATABASE_URL}: its tests are skipped. Start it, or set TEST_DATABASE_URL, to run them.`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A place for one test's data: a fresh SQLite directory, or a fresh PostgreSQL schema. */
export interface TestStore {
  readonly name: 'sqlite' | 'postgres';
  readonly storage: StorageLocation;
  /** PostgreSQL schema, passed to openLedger so tests never see each other's rows. */
  readonly schema?: string;
  open(options?: OpenOptions): Promise<Ledger>;
  /** The ledger and the link store on this store's database. */
  openStores(options?: OpenOptions): Promise<Stores>;
  /** Extra environment for a bot process using this store. */
  readonly env: Record<string, string>;
  drop(): Promise<void>;
}

export function sqliteStore(): TestStore {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-'));
  return {
    name: 'sqlite',
    storage: { kind: 'sqlite', dataDir },
    open: (options = {}) => openLedger({ kind: 'sqlite', dataDir }, options),
    openStores: (options = {}) => openStores({ kind: 'sqlite', dataDir }, options),
    env: { DATA_DIR: dataDir },
    drop: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

export async function postgresStore(): Promise<TestStore> {
  const schema = `ledger_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    name: 'postgres',
    storage: { kind: 'postgres', url },
    schema,
    open: (options = {}) => openLedger({ kind: 'postgres', url: TEST_DATABASE_URL }, { ...options, schema }),
    openStores: (options = {}) => openStores({ kind: 'postgres', url: TEST_DATABASE_URL }, { ...options, schema }),
    env: { DATABASE_URL: url },
    async drop() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}
