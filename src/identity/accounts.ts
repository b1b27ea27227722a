import { createHash, randomBytes } from 'node:crypto';
import type { Config, IdentityConfig } from '../config.js';
import type { LinkedIdentity } from '../invitations/ledger/ledger.js';
import type { ServiceName } from '../invitations/request.js';
import type { Logger } from '../logger.js';
import { AuthenticationError, ServiceUnavailableError } from '../providers/errors.js';
import { runtimeSecrets } from '../secrets.js';
import type { LinkStore, Person, SealedTokens, StoredLink } from './link-store.js';
import { OAuthError, startPath, type GrantedTokens, type OAuthProvider } from './oauth.js';
import { TokenCipher, TokenDecryptionError } from './token-cipher.js';

/** A single-use connect link works this long; so does the sign-in it starts. */
export const NONCE_LIFETIME_MS = 10 * 60_000;

/** Why a person's linked account cannot be used: the stable codes logs and tests read. */
export type LinkProblem = 'link_missing' | 'link_broken' | 'link_revoked' | 'token_undecryptable';

/**
 * A person's linked account cannot send: they disconnected it, the service refused or revoked it, or its
 * token cannot be decrypted (its key left TOKEN_ENCRYPTION_KEY). Nothing was sent; the request waits for a
 * reconnect. An authentication failure, so the sender treats it as the account's, never as the bot's.
 */
export class LinkUnavailableError extends AuthenticationError {
  constructor(
    service: ServiceName,
    readonly problem: LinkProblem,
  ) {
    super(service, { code: problem, reason: problem });
  }
}

/**
 * How a person acts in a service: with their own linked account, with the bot's shared one (linking off
 * for the service, or not required and they have not linked), or not yet: they must connect (or
 * reconnect) first.
 */
export type Acting =
  | { readonly kind: 'linked'; readonly link: StoredLink }
  | { readonly kind: 'shared' }
  | { readonly kind: 'needs_link'; readonly service: ServiceName; readonly reason: 'unlinked' | 'broken' };

/** The identity a request recorded now is sent with; undefined while linking is not configured at all. */
export function requestIdentity(acting: Exclude<Acting, { kind: 'needs_link' }>, linkingConfigured: boolean): LinkedIdentity | { readonly kind: 'shared' } | undefined {
  if (acting.kind === 'linked') {
    const { link } = acting;
    return { kind: 'linked', linkId: link.id, serviceUserId: link.serviceUserId, ...(link.serviceUserName ? { serviceUserName: link.serviceUserName } : {}) };
  }
  return linkingConfigured ? { kind: 'shared' } : undefined;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface AccountsOptions {
  readonly config: Pick<Config, 'identity' | 'kantata' | 'huddle'>;
  readonly links: LinkStore;
  readonly providers: Partial<Record<ServiceName, OAuthProvider>>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Refresh this long before expiry at least, so a call never leaves with a token about to lapse. */
const MIN_REFRESH_MARGIN_MS = 60_000;

/** When to refresh a token that lasts `lifetimeMs`: a tenth before its end, at least a minute, at most half its life. */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(lifetimeMs / 2, Math.max(MIN_REFRESH_MARGIN_MS, lifetimeMs / 10));
}

/**
 * People's linked accounts, as one thread uses them: how someone acts in a service, their current access
 * token (refreshed before it runs out, through the refresh grant), sealing tokens for the store, and the
 * single-use links that connect an account. Each thread has its own; the store is shared, and a refresh
 * only counts if no other thread or replica replaced the tokens first.
 */
export class Accounts {
  private readonly identity: IdentityConfig | undefined;
  private readonly cipher: TokenCipher | undefined;
  private readonly now: () => number;
  private readonly refreshing = new Map<number, Promise<StoredLink>>();

  constructor(private readonly options: AccountsOptions) {
    this.identity = options.config.identity;
    this.cipher = this.identity ? new TokenCipher(this.identity.tokenKeys) : undefined;
    this.now = options.now ?? Date.now;
  }

  /** Whether people can link their own accounts of any service. */
  get configured(): boolean {
    return this.identity !== undefined;
  }

  linkable(service: ServiceName): boolean {
    return this.options.providers[service] !== undefined;
  }

  /** Whether the bot has a shared account for the service. */
  hasShared(service: ServiceName): boolean {
    return service === 'kantata' ? this.options.config.kantata?.apiToken !== undefined : this.options.config.huddle?.auth !== undefined;
  }

  get links(): LinkStore {
    return this.options.links;
  }

  provider(service: ServiceName): OAuthProvider | undefined {
    return this.options.providers[service];
  }

  async acting(person: Person, service: ServiceName): Promise<Acting> {
    if (!this.linkable(service)) return { kind: 'shared' };
    const link = await this.options.links.findLink(person, service);
    if (link?.status === 'active') return { kind: 'linked', link };
    // A person who linked keeps acting as themselves: a broken link is reconnected, never silently replaced.
    if (link) return { kind: 'needs_link', service, reason: 'broken' };
    if (this.hasShared(service) && !this.identity?.requireLinkedAccount) return { kind: 'shared' };
    return { kind: 'needs_link', service, reason: 'unlinked' };
  }

  /** A single-use link that starts connecting `service` for `person`; `pending` says what then waits for it. */
  async connectUrl(person: Person, service: ServiceName, pending: object): Promise<string> {
    const identity = this.requireIdentity();
    const nonce = randomBytes(32).toString('base64url');
    const now = this.now();
    await this.options.links.createNonce({ nonceHash: sha256(nonce), ...person, service, pending: JSON.stringify(pending), createdAt: now, expiresAt: now + NONCE_LIFETIME_MS });
    return `${identity.publicUrl}${startPath(service)}?nonce=${nonce}`;
  }

  /** Seals freshly granted tokens for the store: bound to the person and service they belong to. */
  seal(person: Person, service: ServiceName, tokens: GrantedTokens): SealedTokens {
    const cipher = this.requireCipher();
    runtimeSecrets.add(tokens.accessToken);
    if (tokens.refreshToken) runtimeSecrets.add(tokens.refreshToken);
    return {
      keyId: cipher.currentKeyId,
      accessToken: cipher.encrypt(tokens.accessToken, tokenContext(person, service, 'access')),
      ...(tokens.refreshToken ? { refreshToken: cipher.encrypt(tokens.refreshToken, tokenContext(person, service, 'refresh')) } : {}),
      ...(tokens.expiresAt !== undefined ? { expiresAt: tokens.expiresAt } : {}),
    };
  }

  /** The link's current access token in plain text, refreshed first when it is about to run out. */
  async accessToken(linkId: number, service: ServiceName): Promise<{ readonly token: string; readonly link: StoredLink }> {
    let link = await this.usableLink(linkId, service);
    if (this.expiresSoon(link)) link = await this.refreshOnce(link);
    return { token: this.unseal(link, 'access'), link };
  }

  /**
   * The service refused `rejectedToken`: a token someone else refreshed meanwhile, or a fresh one from the
   * refresh grant. Undefined when there is nothing to renew with (no refresh grant: Kantata's tokens).
   */
  async renewAfterRejection(linkId: number, service: ServiceName, rejectedToken: string): Promise<string | undefined> {
    const link = await this.usableLink(linkId, service);
    const current = this.unseal(link, 'access');
    if (current !== rejectedToken) return current;
    if (!link.tokens.refreshToken) return undefined;
    return this.unseal(await this.refreshOnce(link, true), 'access');
  }

  /** The service refused the link's token for good: the person must reconnect. */
  async markBroken(linkId: number, reason: string): Promise<void> {
    const link = await this.options.links.getLink(linkId);
    if (link?.status === 'active') await this.options.links.markBroken(link.id, link.tokenVersion, reason, this.now());
  }

  private async usableLink(linkId: number, service: ServiceName): Promise<StoredLink> {
    const link = await this.options.links.getLink(linkId);
    if (!link) throw new LinkUnavailableError(service, 'link_missing');
    if (link.status !== 'active') throw new LinkUnavailableError(service, 'link_broken');
    return link;
  }

  private expiresSoon(link: StoredLink): boolean {
    const { expiresAt } = link.tokens;
    if (expiresAt === undefined || !link.tokens.refreshToken) return false;
    const lifetime = Math.max(0, expiresAt - link.updatedAt);
    return this.now() >= expiresAt - refreshMarginMs(lifetime);
  }

  /** One refresh per link at a time in this thread; callers waiting on it share its result. */
  private refreshOnce(link: StoredLink, force = false): Promise<StoredLink> {
    const running = this.refreshing.get(link.id);
    if (running) return running;
    const refresh = this.refresh(link, force).finally(() => this.refreshing.delete(link.id));
    this.refreshing.set(link.id, refresh);
    return refresh;
  }

  private async refresh(link: StoredLink, force: boolean): Promise<StoredLink> {
    const provider = this.options.providers[link.service];
    if (!provider || !link.tokens.refreshToken) return link;
    const latest = await this.options.links.getLink(link.id);
    // Another thread or replica refreshed it since it was read: use theirs.
    if (latest && latest.status === 'active' && latest.tokenVersion !== link.tokenVersion && (!force || !this.expiresSoon(latest))) return latest;
    const refreshToken = this.unseal(link, 'refresh');
    let granted: GrantedTokens;
    try {
      granted = await provider.refresh(refreshToken);
    } catch (error) {
      if (error instanceof OAuthError && error.failure === 'invalid_grant') {
        const now = await this.options.links.getLink(link.id);
        if (now && now.status === 'active' && now.tokenVersion !== link.tokenVersion) return now;
        await this.options.links.markBroken(link.id, link.tokenVersion, 'invalid_grant', this.now());
        this.options.logger.warn({ event: 'link_revoked', service: link.service, linkId: link.id, userId: link.userId }, 'the service refused to refresh a linked account: the person must reconnect');
        throw new LinkUnavailableError(link.service, 'link_revoked');
      }
      // The token service is away: nothing was sent, so the call is worth retrying later.
      throw new ServiceUnavailableError(link.service, { upstreamMessage: 'could not refresh the linked account', cause: error });
    }
    const person = { teamId: link.teamId, userId: link.userId };
    const sealed = this.seal(person, link.service, { ...granted, ...(granted.refreshToken ? {} : { refreshToken }) });
    const saved = await this.options.links.replaceTokens(link.id, link.tokenVersion, sealed, this.now());
    if (saved) return saved;
    const theirs = await this.options.links.getLink(link.id);
    if (!theirs) throw new LinkUnavailableError(link.service, 'link_missing');
    return theirs;
  }

  private unseal(link: StoredLink, which: 'access' | 'refresh'): string {
    const sealed = which === 'access' ? link.tokens.accessToken : link.tokens.refreshToken;
    if (!sealed) throw new LinkUnavailableError(link.service, 'token_undecryptable');
    try {
      const token = this.requireCipher().decrypt(sealed, tokenContext(link, link.service, which));
      runtimeSecrets.add(token);
      return token;
    } catch (error) {
      if (error instanceof TokenDecryptionError) {
        this.options.logger.error({ event: 'token_undecryptable', service: link.service, linkId: link.id, keyId: link.tokens.keyId, reason: error.message }, 'a linked account\'s token could not be decrypted');
        throw new LinkUnavailableError(link.service, 'token_undecryptable');
      }
      throw error;
    }
  }

  private requireIdentity(): IdentityConfig {
    if (!this.identity) throw new Error('linking is not configured');
    return this.identity;
  }

  private requireCipher(): TokenCipher {
    if (!this.cipher) throw new Error('linking is not configured');
    return this.cipher;
  }
}

/** What a sealed token is bound to: whose it is, for which service, and which of the two. */
function tokenContext(person: Person, service: ServiceName, which: 'access' | 'refresh'): string {
  return `slack-invite-bot/link/${person.teamId}/${person.userId}/${service}/${which}`;
}
