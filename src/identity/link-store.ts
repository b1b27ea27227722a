import type { ServiceName } from '../invitations/request.js';
import type { StoreKind } from '../invitations/ledger/migrations.js';

/** A Slack person, as Slack identifies them across workspaces of one organisation. */
export interface Person {
  readonly teamId: string;
  readonly userId: string;
}

/** `broken`: the service refused the account's token (revoked, expired grant); the person must reconnect. */
export type LinkStatus = 'active' | 'broken';

/** A linked account's tokens as stored: every one of them sealed by TokenCipher, never in plain text. */
export interface SealedTokens {
  /** The TOKEN_ENCRYPTION_KEY id that sealed them. */
  readonly keyId: string;
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** When the access token runs out (ms); none for tokens that do not expire (Kantata's, as documented). */
  readonly expiresAt?: number;
}

/** One person's own account of one service. */
export interface StoredLink {
  readonly id: number;
  readonly teamId: string;
  readonly userId: string;
  readonly service: ServiceName;
  readonly status: LinkStatus;
  /** The service's id for the person, and their name there. */
  readonly serviceUserId: string;
  readonly serviceUserName?: string;
  readonly tokens: SealedTokens;
  /** Grows with every change of the tokens, so two refreshes racing each other cannot both win. */
  readonly tokenVersion: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly brokenAt?: number;
  readonly brokenReason?: string;
}

export interface NewLink extends Person {
  readonly service: ServiceName;
  readonly serviceUserId: string;
  readonly serviceUserName?: string;
  readonly tokens: SealedTokens;
}

/** A single-use "connect" link handed to a person in Slack; its nonce and later its sign-in state, hashed. */
export interface StoredNonce extends Person {
  readonly service: ServiceName;
  /** What to do once linked (JSON written by the identity layer): the request that waits, if any. */
  readonly pending?: string;
  /** Hash of the random value the starting browser was given as a cookie. */
  readonly browserHash?: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly startedAt?: number;
}

export interface NewNonce extends Person {
  readonly nonceHash: string;
  readonly service: ServiceName;
  readonly pending?: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** Using a nonce or a state: it worked, or why not. */
export type NonceUse = { readonly kind: 'ok'; readonly nonce: StoredNonce } | { readonly kind: 'unknown' | 'used' | 'expired' };

export interface LinkCount {
  readonly service: ServiceName;
  readonly status: LinkStatus;
  readonly count: number;
}

/**
 * People's linked accounts and the single-use links that create them, in the same database as the ledger
 * (one contract over SQLite and PostgreSQL). It only ever sees sealed tokens: sealing and unsealing is
 * the caller's (src/identity/token-cipher.ts), so nothing here can leak one.
 */
export interface LinkStore {
  readonly kind: StoreKind;

  findLink(person: Person, service: ServiceName): Promise<StoredLink | undefined>;
  getLink(id: number): Promise<StoredLink | undefined>;
  linksOf(person: Person): Promise<StoredLink[]>;
  /** Creates the person's link for the service, or replaces its account and tokens: active again, version + 1. */
  saveLink(link: NewLink, now: number): Promise<StoredLink>;
  /** New tokens (a refresh), only if the link is still at `expectedVersion`; undefined when someone else changed it first. */
  replaceTokens(id: number, expectedVersion: number, tokens: SealedTokens, now: number): Promise<StoredLink | undefined>;
  /** The service refused the tokens of `expectedVersion`: the person must reconnect. False when they changed meanwhile. */
  markBroken(id: number, expectedVersion: number, reason: string, now: number): Promise<boolean>;
  /** Disconnect: the link and its tokens are deleted. */
  deleteLink(person: Person, service: ServiceName): Promise<boolean>;
  linkCounts(): Promise<LinkCount[]>;

  createNonce(nonce: NewNonce): Promise<void>;
  /** Uses a nonce once, before it expires, and records the sign-in state and browser it started. */
  startSignIn(nonceHash: string, stateHash: string, browserHash: string, now: number): Promise<NonceUse>;
  /** Completes a sign-in once, at most `maxAgeMs` after it started. */
  completeSignIn(stateHash: string, now: number, maxAgeMs: number): Promise<NonceUse>;
  /** Deletes nonces that expired before `before`, used or not. */
  purgeNonces(before: number): Promise<number>;

  close(): Promise<void>;
}

/** The methods of LinkStore another thread may call (see StoreCalls in invitations/ledger/remote.ts). */
export const LINK_STORE_METHODS = [
  'findLink',
  'getLink',
  'linksOf',
  'saveLink',
  'replaceTokens',
  'markBroken',
  'deleteLink',
  'linkCounts',
  'createNonce',
  'startSignIn',
  'completeSignIn',
  'purgeNonces',
] as const satisfies readonly (keyof LinkStore)[];
