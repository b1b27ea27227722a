import { secretValues, type Config } from './config.js';
import { InvitationService } from './invitations/service.js';
import { WorkspaceDirectory } from './invitations/workspaces.js';
import type { Logger } from './logger.js';
import { ProviderError } from './providers/errors.js';
import { createHuddleCredentials } from './providers/huddle-auth.js';
import { HuddleClient } from './providers/huddle.js';
import { KantataClient } from './providers/kantata.js';
import type { Clock, RetryPolicy } from './providers/retry.js';
import { huddleWorkspaces, kantataWorkspaces } from './providers/workspace-sources.js';

export interface EngineOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly retryPolicy?: RetryPolicy;
}

export interface Engine {
  readonly invitations: InvitationService;
  readonly kantata?: KantataClient;
  readonly huddle?: HuddleClient;
  /** Workspaces by name, for the form's menu, inline names and the titles in outcome messages. */
  readonly workspaces: WorkspaceDirectory;
  close(): Promise<void>;
}

/** Builds the upstream clients the configuration enables and the service that fans out over them. */
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
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
  };
  const kantata = config.kantata
    ? new KantataClient({ ...shared, apiUrl: config.kantata.apiUrl, apiToken: config.kantata.apiToken })
    : undefined;
  const huddle = config.huddle
    ? new HuddleClient({
        ...shared,
        apiUrl: config.huddle.apiUrl,
        credentials: createHuddleCredentials(config.huddle.auth, shared),
      })
    : undefined;
  const invitations = new InvitationService({
    logger,
    ...(kantata ? { kantata } : {}),
    ...(huddle ? { huddle } : {}),
  });
  const clock = options.clock;
  const now = clock ? () => clock.now() : Date.now;
  const workspaces = new WorkspaceDirectory({
    sources: {
      ...(kantata ? { kantata: kantataWorkspaces(kantata) } : {}),
      ...(huddle ? { huddle: huddleWorkspaces(huddle, config.workspaceSearch.cacheTtlMs, now) } : {}),
    },
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
    invitations,
    workspaces,
    ...(kantata ? { kantata } : {}),
    ...(huddle ? { huddle } : {}),
    close: async () => {
      await Promise.all([kantata?.close(), huddle?.close()]);
    },
  };
}
