import type { Generated } from 'kysely';

/** The link store's tables (migration 0002_account_links); times in ms like the ledger's. */
export interface AccountLinksTable {
  id: Generated<number>;
  team_id: string;
  user_id: string;
  service: string;
  status: string;
  service_user_id: string;
  service_user_name: string | null;
  key_id: string;
  /** Sealed (AES-256-GCM), never plain. */
  access_token: string;
  refresh_token: string | null;
  expires_at: number | null;
  token_version: number;
  created_at: number;
  updated_at: number;
  broken_at: number | null;
  broken_reason: string | null;
}

export interface LinkNoncesTable {
  id: Generated<number>;
  /** SHA-256 of the nonce: the table alone gives nobody a usable link. */
  nonce_hash: string;
  team_id: string;
  user_id: string;
  service: string;
  pending: string | null;
  created_at: number;
  expires_at: number;
  started_at: number | null;
  /** SHA-256 of the OAuth `state` sent to the service. */
  state_hash: string | null;
  browser_hash: string | null;
  completed_at: number | null;
}

export interface LinksDatabase {
  account_links: AccountLinksTable;
  link_nonces: LinkNoncesTable;
}
