import type { Kysely } from 'kysely';
import type { StorageLocation } from './config.js';
import { SqlLinkStore } from './identity/sql-link-store.js';
import type { LinkStore } from './identity/link-store.js';
import type { LinksDatabase } from './identity/schema.js';
import type { Ledger } from './invitations/ledger/ledger.js';
import { openDatabase, type OpenOptions } from './invitations/ledger/open.js';
import { SqlLedger } from './invitations/ledger/sql-ledger.js';

/** Everything the bot keeps, on one database: the ledger, and people's linked accounts. */
export interface Stores {
  readonly ledger: Ledger;
  /** Shares the ledger's connections; closed with the ledger. */
  readonly links: LinkStore;
}

/** Opens the configured store once (migrations applied under a lock) for the ledger and the link store. */
export async function openStores(storage: StorageLocation, options: OpenOptions = {}): Promise<Stores> {
  const opened = await openDatabase(storage, options);
  const ledger = new SqlLedger(opened.db, opened.dialect, opened.release);
  // One database, two sets of tables: Kysely types each store by its own tables only.
  const links = new SqlLinkStore(opened.db as unknown as Kysely<LinksDatabase>, opened.dialect);
  return { ledger, links };
}
