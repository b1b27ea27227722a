import type { ServiceName } from './request.js';

/** A workspace (a Kantata project, a Huddle workspace) that people can be invited to. */
export interface Workspace {
  readonly service: ServiceName;
  readonly id: string;
  readonly title: string;
  /** Kantata: what the project calls its provider (maven) and client (buyer) teams. */
  readonly teams?: TeamNames;
}

export interface TeamNames {
  readonly maven: string;
  readonly buyer: string;
}

/** What one service can tell about its workspaces; built over the provider clients by the engine. */
export interface WorkspaceSource {
  /** Workspaces the bot may invite to whose titles match `query`; an empty query lists them. */
  search(query: string): Promise<Workspace[]>;
  /** One workspace by id; undefined when the service has none the bot can see by that id. */
  find(id: string): Promise<Workspace | undefined>;
}

export type LookupFailure = { readonly kind: 'unavailable'; readonly service: ServiceName; readonly reason: 'timeout' | 'failed'; readonly error?: unknown };

export type SearchAnswer = { readonly kind: 'found'; readonly workspaces: readonly Workspace[] } | LookupFailure;

export type NameResolution =
  | { readonly kind: 'one'; readonly workspace: Workspace }
  | { readonly kind: 'several'; readonly candidates: readonly Workspace[] }
  | { readonly kind: 'none'; readonly closest: readonly Workspace[] }
  | LookupFailure;

export interface WorkspaceDirectoryOptions {
  readonly sources: Partial<Record<ServiceName, WorkspaceSource>>;
  /** Longest wait for a service before answering without it (Slack wants options within 3 s). */
  readonly timeoutMs: number;
  /** How long a search result is reused for the same person and text. */
  readonly cacheTtlMs: number;
  readonly maxCacheEntries?: number;
  readonly now?: () => number;
  readonly onLookupFailed?: (service: ServiceName, error: unknown) => void;
}

/** Most candidates a name resolution offers; more would not fit a select and nobody reads them. */
export const MAX_CANDIDATES = 25;
const CLOSEST_COUNT = 3;
const TITLE_TTL_MS = 10 * 60_000;

interface CacheEntry<T> {
  readonly expiresAt: number;
  readonly value: Promise<T>;
}

/**
 * Finds workspaces by name for the form and the inline command: time-boxed so Slack gets an answer in
 * time, cached per person and text (a search that outlives its time box still fills the cache, so the
 * next keystroke finds it), with concurrent identical searches sharing one upstream call.
 */
export class WorkspaceDirectory {
  private readonly searches = new Map<string, CacheEntry<Workspace[]>>();
  private readonly known = new Map<string, { readonly expiresAt: number; readonly workspace: Workspace }>();
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(private readonly options: WorkspaceDirectoryOptions) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxCacheEntries ?? 1_000;
  }

  get services(): ServiceName[] {
    return (Object.keys(this.options.sources) as ServiceName[]).filter((service) => this.options.sources[service] !== undefined);
  }

  /** Workspaces of `service` matching `query`, as `userId` searched for them; never slower than the time box. */
  /** `timeoutMs` can shorten the configured time box, never lengthen it. */
  search(userId: string, service: ServiceName, query: string, timeoutMs = this.options.timeoutMs): Promise<SearchAnswer> {
    const source = this.options.sources[service];
    if (!source) return Promise.resolve({ kind: 'found', workspaces: [] });
    const normalized = normalizeTitle(query);
    // Both services match titles regardless of case, so "ACME" and "acme" share an entry.
    const key = `${userId}\u0000${service}\u0000${normalized.toLowerCase()}`;
    const pending = this.cached(this.searches, key, () =>
      this.reported(
        service,
        source.search(normalized).then((workspaces) => {
          for (const workspace of workspaces) this.rememberTitle(workspace);
          return workspaces;
        }),
      ),
    );
    return this.timeBoxed(service, pending, Math.min(timeoutMs, this.options.timeoutMs), (workspaces) => ({ kind: 'found', workspaces }));
  }

  /**
   * A typed name to one workspace: an exact title match wins, a single result is taken, several are offered
   * as candidates, and none comes with the closest titles the services know.
   */
  async resolveName(userId: string, services: readonly ServiceName[], name: string, timeoutMs = this.options.timeoutMs): Promise<NameResolution> {
    const deadline = this.now() + Math.min(timeoutMs, this.options.timeoutMs);
    const remaining = () => Math.max(1, deadline - this.now());
    const wanted = normalizeTitle(name).toLowerCase();
    const answers = await Promise.all(services.map((service) => this.search(userId, service, name, remaining())));
    const failure = answers.find((answer): answer is LookupFailure => answer.kind === 'unavailable');
    const found = answers.flatMap((answer) => (answer.kind === 'found' ? answer.workspaces : []));
    const exact = found.filter((workspace) => normalizeTitle(workspace.title).toLowerCase() === wanted);
    if (exact.length === 1 && exact[0]) return { kind: 'one', workspace: exact[0] };
    if (exact.length > 1) return { kind: 'several', candidates: exact.slice(0, MAX_CANDIDATES) };
    // Another service might hold the exact title: one fuzzy hit is not enough while a service is silent.
    if (failure) return failure;
    if (found.length === 1 && found[0]) return { kind: 'one', workspace: found[0] };
    if (found.length > 1) return { kind: 'several', candidates: found.slice(0, MAX_CANDIDATES) };
    const everything = await Promise.all(services.map((service) => this.search(userId, service, '', remaining())));
    const known = everything.flatMap((answer) => (answer.kind === 'found' ? answer.workspaces : []));
    return { kind: 'none', closest: closestWorkspaces(name, known, CLOSEST_COUNT) };
  }

  /** The title of a workspace, when the service names it within the time box; undefined otherwise. */
  async title(service: ServiceName, id: string, timeoutMs = this.options.timeoutMs): Promise<string | undefined> {
    return (await this.details(service, id, timeoutMs))?.title;
  }

  /** A workspace's title and team names, when the service tells within the time box; undefined otherwise. */
  async details(service: ServiceName, id: string, timeoutMs = this.options.timeoutMs): Promise<Workspace | undefined> {
    const known = this.knownWorkspace(service, id);
    if (known !== undefined) return known;
    const source = this.options.sources[service];
    if (!source) return undefined;
    const answer = await this.timeBoxed(service, this.reported(service, source.find(id)), Math.min(timeoutMs, this.options.timeoutMs), (workspace) => workspace);
    if (!answer || 'kind' in answer) return undefined;
    this.rememberTitle(answer);
    return answer;
  }

  /** A workspace seen recently in any search or lookup, without asking the service. */
  knownWorkspace(service: ServiceName, id: string): Workspace | undefined {
    const entry = this.known.get(`${service}:${id}`);
    return entry && entry.expiresAt > this.now() ? entry.workspace : undefined;
  }

  private rememberTitle(workspace: Workspace): void {
    const key = `${workspace.service}:${workspace.id}`;
    this.known.delete(key);
    this.known.set(key, { workspace, expiresAt: this.now() + TITLE_TTL_MS });
    evictOldest(this.known, this.maxEntries);
  }

  private cached<T>(cache: Map<string, CacheEntry<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && hit.expiresAt > this.now()) return hit.value;
    const value = load();
    cache.delete(key);
    cache.set(key, { expiresAt: this.now() + this.options.cacheTtlMs, value });
    evictOldest(cache, this.maxEntries);
    // A failure is not remembered: the next keystroke asks again.
    value.catch(() => {
      if (cache.get(key)?.value === value) cache.delete(key);
    });
    return value;
  }

  /** Reports a failed upstream call once, however many searches were waiting on it. */
  private reported<T>(service: ServiceName, call: Promise<T>): Promise<T> {
    return call.catch((error: unknown) => {
      this.options.onLookupFailed?.(service, error);
      throw error;
    });
  }

  private async timeBoxed<T, R>(service: ServiceName, pending: Promise<T>, timeoutMs: number, wrap: (value: T) => R): Promise<R | LookupFailure> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<LookupFailure>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'unavailable', service, reason: 'timeout' }), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([
        pending.then(wrap, (error: unknown): LookupFailure => ({ kind: 'unavailable', service, reason: 'failed', error })),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function evictOldest(cache: Map<string, unknown>, max: number): void {
  while (cache.size > max) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) return;
    cache.delete(oldest);
  }
}

/** Titles compared as people read them: spacing and case do not matter. */
export function normalizeTitle(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, ' ').trim();
}

/** Whether every word of `query` appears in `title`, ignoring case; an empty query matches everything. */
export function titleMatches(title: string, query: string): boolean {
  const haystack = normalizeTitle(title).toLowerCase();
  return normalizeTitle(query)
    .toLowerCase()
    .split(' ')
    .filter((word) => word.length > 0)
    .every((word) => haystack.includes(word));
}

function bigrams(text: string): Map<string, number> {
  const padded = ` ${normalizeTitle(text).toLowerCase()} `;
  const counts = new Map<string, number>();
  for (let i = 0; i < padded.length - 1; i += 1) {
    const pair = padded.slice(i, i + 2);
    counts.set(pair, (counts.get(pair) ?? 0) + 1);
  }
  return counts;
}

/** Dice's coefficient over letter pairs: 1 for the same text, near 0 for unrelated ones; robust to typos. */
export function similarity(a: string, b: string): number {
  const left = bigrams(a);
  const right = bigrams(b);
  let shared = 0;
  let total = 0;
  for (const [pair, count] of left) {
    shared += Math.min(count, right.get(pair) ?? 0);
    total += count;
  }
  for (const count of right.values()) total += count;
  return total === 0 ? 0 : (2 * shared) / total;
}

/** The workspaces whose titles look most like `name`, best first; unrelated titles are left out. */
export function closestWorkspaces(name: string, workspaces: readonly Workspace[], count: number): Workspace[] {
  return workspaces
    .map((workspace) => ({ workspace, score: similarity(name, workspace.title) }))
    .filter((scored) => scored.score >= 0.3)
    .sort((a, b) => b.score - a.score)
    .slice(0, count)
    .map((scored) => scored.workspace);
}
