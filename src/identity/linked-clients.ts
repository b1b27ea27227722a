import type { Config } from '../config.js';
import type { StoredRequest } from '../invitations/ledger/ledger.js';
import type { ServiceName } from '../invitations/request.js';
import type { Inviters } from '../invitations/sender.js';
import { WorkspaceDirectory, type WorkspaceSource } from '../invitations/workspaces.js';
import type { Logger } from '../logger.js';
import type { ProviderError } from '../providers/errors.js';
import type { HuddleCredentials } from '../providers/huddle-auth.js';
import { HuddleClient } from '../providers/huddle.js';
import type { UpstreamObserver } from '../providers/http.js';
import { KantataClient } from '../providers/kantata.js';
import type { Clock, RetryPolicy } from '../providers/retry.js';
import { huddleWorkspaces, kantataWorkspaces } from '../providers/workspace-sources.js';
import type { Acting, Accounts } from './accounts.js';
import type { Person, StoredLink } from './link-store.js';

/** The settings every upstream client shares (engine.ts builds the shared ones with the same). */
export interface ClientSettings {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly secrets: readonly string[];
  readonly onRetry?: (error: ProviderError, attempt: number, delayMs: number) => void;
  readonly observe?: UpstreamObserver;
  readonly clock?: Clock;
  readonly retryPolicy?: RetryPolicy;
}

export interface LinkedClientsOptions {
  readonly config: Pick<Config, 'kantata' | 'huddle' | 'workspaceSearch'>;
  readonly accounts: Accounts;
  readonly settings: ClientSettings;
  /** The shared accounts' clients and workspace sources, for people who act with them. */
  readonly shared: { readonly inviters: Inviters; readonly sources: Partial<Record<ServiceName, WorkspaceSource>>; readonly directory: WorkspaceDirectory };
  readonly logger: Logger;
  readonly now?: () => number;
  /** Linked accounts whose clients are kept; the least recently used beyond it are closed. */
  readonly maxLinks?: number;
}

interface LinkClients {
  kantata?: { readonly version: number; readonly client: KantataClient };
  huddle?: HuddleClient;
  directory?: { readonly key: string; readonly directory: WorkspaceDirectory };
}

/** Clients replaced by newer ones get this long to finish what they are doing before they close. */
const RETIRE_AFTER_MS = 60_000;

/**
 * Upstream clients that act as a person, with their linked account: one Kantata client per token (with a
 * pacer of its own, since Kantata's rate limit belongs to the token), one Huddle client per link (its
 * credentials ask the link for a fresh token each call, refreshing before expiry), and workspace
 * directories that search with them. Kept per link, least recently used first out.
 */
export class LinkedClients {
  private readonly byLink = new Map<number, LinkClients>();
  private readonly personal = new Map<string, WorkspaceDirectory>();
  private readonly maxLinks: number;

  constructor(private readonly options: LinkedClientsOptions) {
    this.maxLinks = options.maxLinks ?? 100;
  }

  /** InvitersFor: the person's own clients for a request sent as them, the shared ones otherwise. */
  async invitersFor(request: StoredRequest): Promise<Inviters> {
    const identity = request.identity;
    if (identity?.kind !== 'linked') return this.options.shared.inviters;
    const { link } = await this.options.accounts.accessToken(identity.linkId, request.service);
    return request.service === 'kantata' ? { kantata: await this.kantataFor(link) } : { huddle: this.huddleFor(link) };
  }

  /** The workspace search and titles as `person` sees them: each service through their linked account or the shared one. */
  async directoryFor(person: Person, services: readonly ServiceName[]): Promise<{ readonly directory: WorkspaceDirectory; readonly acting: Readonly<Partial<Record<ServiceName, Acting>>> }> {
    const acting: Partial<Record<ServiceName, Acting>> = {};
    await Promise.all(services.map(async (service) => void (acting[service] = await this.options.accounts.acting(person, service))));
    const linked = services.filter((service) => acting[service]?.kind === 'linked');
    const unusable = services.filter((service) => acting[service]?.kind === 'needs_link');
    if (linked.length === 0 && unusable.length === 0) return { directory: this.options.shared.directory, acting };
    const key = services.map((service) => `${service}:${describeActing(acting[service])}`).join('|');
    const cached = this.personal.get(key);
    if (cached) {
      this.personal.delete(key);
      this.personal.set(key, cached);
      return { directory: cached, acting };
    }
    const sources: Partial<Record<ServiceName, WorkspaceSource>> = {};
    for (const service of services) {
      const how = acting[service];
      if (how?.kind === 'shared' && this.options.shared.sources[service]) sources[service] = this.options.shared.sources[service];
      if (how?.kind === 'linked') sources[service] = await this.sourceFor(how.link);
    }
    const { workspaceSearch } = this.options.config;
    const directory = new WorkspaceDirectory({
      sources,
      timeoutMs: workspaceSearch.timeoutMs,
      cacheTtlMs: workspaceSearch.cacheTtlMs,
      ...(this.options.now ? { now: this.options.now } : {}),
      onLookupFailed: (service, error) =>
        this.options.logger.warn({ event: 'workspace_lookup_failed', service, identity: 'linked', error: error instanceof Error ? error.message : String(error) }, 'workspace lookup failed'),
    });
    this.personal.set(key, directory);
    while (this.personal.size > this.maxLinks) this.personal.delete(this.personal.keys().next().value as string);
    return { directory, acting };
  }

  async close(): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const clients of this.byLink.values()) {
      if (clients.kantata) closing.push(clients.kantata.client.close());
      if (clients.huddle) closing.push(clients.huddle.close());
    }
    this.byLink.clear();
    this.personal.clear();
    await Promise.allSettled(closing);
  }

  private async sourceFor(link: StoredLink): Promise<WorkspaceSource> {
    const listTtlMs = this.options.config.workspaceSearch.cacheTtlMs;
    return link.service === 'kantata' ? kantataWorkspaces(await this.kantataFor(link)) : huddleWorkspaces(this.huddleFor(link), listTtlMs, this.options.now);
  }

  private entry(link: StoredLink): LinkClients {
    let clients = this.byLink.get(link.id);
    if (clients) {
      this.byLink.delete(link.id);
    } else {
      clients = {};
    }
    this.byLink.set(link.id, clients);
    while (this.byLink.size > this.maxLinks) {
      const [oldest, evicted] = this.byLink.entries().next().value as [number, LinkClients];
      this.byLink.delete(oldest);
      retire(evicted.kantata?.client);
      retire(evicted.huddle);
    }
    return clients;
  }

  /** Kantata tokens do not change while they live; a new token (reconnect, refresh) gets a new client. */
  private async kantataFor(link: StoredLink): Promise<KantataClient> {
    const clients = this.entry(link);
    if (clients.kantata?.version === link.tokenVersion) return clients.kantata.client;
    const { token } = await this.options.accounts.accessToken(link.id, 'kantata');
    const apiUrl = this.options.config.kantata?.apiUrl;
    if (!apiUrl) throw new Error('Kantata OX is not configured');
    retire(clients.kantata?.client);
    const { settings } = this.options;
    const client = new KantataClient({
      apiUrl,
      apiToken: token,
      connectTimeoutMs: settings.connectTimeoutMs,
      responseTimeoutMs: settings.responseTimeoutMs,
      secrets: [...settings.secrets, token],
      ...(settings.onRetry ? { onRetry: settings.onRetry } : {}),
      ...(settings.observe ? { observe: settings.observe } : {}),
      ...(settings.clock ? { clock: settings.clock } : {}),
      ...(settings.retryPolicy ? { retryPolicy: settings.retryPolicy } : {}),
    });
    clients.kantata = { version: link.tokenVersion, client };
    return client;
  }

  private huddleFor(link: StoredLink): HuddleClient {
    const clients = this.entry(link);
    if (clients.huddle) return clients.huddle;
    const apiUrl = this.options.config.huddle?.apiUrl;
    if (!apiUrl) throw new Error('Huddle is not configured');
    const { settings } = this.options;
    clients.huddle = new HuddleClient({
      apiUrl,
      credentials: linkedHuddleCredentials(this.options.accounts, link.id),
      connectTimeoutMs: settings.connectTimeoutMs,
      responseTimeoutMs: settings.responseTimeoutMs,
      secrets: settings.secrets,
      ...(settings.onRetry ? { onRetry: settings.onRetry } : {}),
      ...(settings.observe ? { observe: settings.observe } : {}),
      ...(settings.clock ? { clock: settings.clock } : {}),
      ...(settings.retryPolicy ? { retryPolicy: settings.retryPolicy } : {}),
    });
    return clients.huddle;
  }
}

/**
 * A linked Huddle account's credentials: its current access token each call (refreshed before it runs
 * out); after a 401, a refreshed one. A revoked grant throws LinkUnavailableError from here: the request
 * waits for its owner to reconnect.
 */
export function linkedHuddleCredentials(accounts: Accounts, linkId: number): HuddleCredentials {
  return {
    authorization: async () => `Bearer ${(await accounts.accessToken(linkId, 'huddle')).token}`,
    async renewAfterRejection(rejected) {
      const rejectedToken = rejected.replace(/^Bearer /, '');
      const fresh = await accounts.renewAfterRejection(linkId, 'huddle', rejectedToken);
      return fresh !== undefined && fresh !== rejectedToken;
    },
    close: async () => undefined,
  };
}

function describeActing(acting: Acting | undefined): string {
  if (!acting) return 'none';
  return acting.kind === 'linked' ? `link${acting.link.id}v${acting.link.tokenVersion}` : acting.kind;
}

function retire(client: { close(): Promise<void> } | undefined): void {
  if (!client) return;
  setTimeout(() => void client.close().catch(() => undefined), RETIRE_AFTER_MS).unref();
}
