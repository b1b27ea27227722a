import { secretValues, type Config } from './config.js';
import type { ClientSettings } from './identity/linked-clients.js';
import type { ServiceName } from './invitations/request.js';
import { WorkspaceDirectory, type WorkspaceSource } from './invitations/workspaces.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { UpstreamObserver } from './providers/http.js';
import { ProviderError } from './providers/errors.js';
import { createHuddleCredentials } from './providers/huddle-auth.js';
import { HuddleClient } from './providers/huddle.js';
import { KantataClient } from './providers/kantata.js';
import type { Clock, RetryPolicy } from './providers/retry.js';
import { huddleWorkspaces, kantataWorkspaces } from './providers/workspace-sources.js';

export interface EngineOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
  readonly retryPolicy?: RetryPolicy;
}

/** The upstream clients the configuration enables, and the workspace directory over them. */
export interface Engine {
  readonly kantata?: KantataClient;
  readonly huddle?: HuddleClient;
  /** Workspaces by name, for the form's menu, inline names and the titles in outcome messages. */
  readonly workspaces: WorkspaceDirectory;
  /** The shared accounts' workspace lookups, which the directories of people with linked accounts reuse. */
  readonly sources: Partial<Record<ServiceName, WorkspaceSource>>;
  /** What every upstream client is built with; linked accounts' clients too. */
  readonly clientSettings: ClientSettings;
  close(): Promise<void>;
}

function upstreamMetrics(metrics: Metrics): UpstreamObserver {
  return ({ service, operation, status, seconds }) => metrics.upstream(service, operation, status, seconds);
}

/** Builds the upstream clients the configuration enables and the workspace directory over them. */
export function createEngine(config: Config, options: EngineOptions): Engine {
  const { logger } = options;
  const onRetry = (error: ProviderError, attempt: number, delayMs: number) =>
    logger.info(
      { event: 'upstream_retry', service: error.service, kind: error.kind, httpStatus: error.status, attempt, delayMs },
      'retrying upstream call',
    );
  const shared = {
    connectTimeoutMs: config.upstreamHttp.connectTimeoutMs,
    responseTimeoutMs: config.upstreamHttp.responseTimeoutMs,
    onRetry,
    secrets: secretValues(config),
    ...(options.metrics ? { observe: upstreamMetrics(options.metrics) } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
  };
  // Only shared accounts here: a service people use solely through their linked accounts has no client of its own.
  const kantata = config.kantata?.apiToken
    ? new KantataClient({ ...shared, apiUrl: config.kantata.apiUrl, apiToken: config.kantata.apiToken })
    : undefined;
  const huddle = config.huddle?.auth
    ? new HuddleClient({
        ...shared,
        apiUrl: config.huddle.apiUrl,
        credentials: createHuddleCredentials(config.huddle.auth, shared),
      })
    : undefined;
  const clock = options.clock;
  const now = clock ? () => clock.now() : Date.now;
  const sources: Partial<Record<ServiceName, WorkspaceSource>> = {
    ...(kantata ? { kantata: kantataWorkspaces(kantata) } : {}),
    ...(huddle ? { huddle: huddleWorkspaces(huddle, config.workspaceSearch.cacheTtlMs, now) } : {}),
  };
  const workspaces = new WorkspaceDirectory({
    sources,
    timeoutMs: config.workspaceSearch.timeoutMs,
    cacheTtlMs: config.workspaceSearch.cacheTtlMs,
    now,
    onLookupFailed: (service, error) =>
      logger.warn(
        {
          event: 'workspace_lookup_failed',
          service,
          ...(error instanceof ProviderError ? { kind: error.kind, httpStatus: error.status } : { error: String(error) }),
        },
        'workspace lookup failed',
      ),
  });
  return {
    workspaces,
    sources,
    clientSettings: shared,
    ...(kantata ? { kantata } : {}),
    ...(huddle ? { huddle } : {}),
    close: async () => {
      await Promise.all([kantata?.close(), huddle?.close()]);
    },
  };
}
