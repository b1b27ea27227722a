import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type CustomRoute } from '@slack/bolt';
import { enabledServices, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import { WorkQueue } from '../work-queue.js';
import { boltLogger } from './bolt-logger.js';
import { lightFetch } from './light-fetch.js';
import { Delivery, type PostToResponseUrl } from './delivery.js';
import type { WorkspaceDirectory } from '../invitations/workspaces.js';
import type { ServiceName } from '../invitations/request.js';
import { InvitationGuard, MemoryRecentInvitationStore, UserBudget, type InvitationSender, type RecentInvitationStore } from '../invitations/guard.js';
import { Authorizer } from './authorization.js';
import { INVITE_COMMAND } from './listeners/invite-command.js';
import { registerListeners } from './listeners/index.js';
import { StrictHTTPReceiver } from './receiver.js';

export interface AppDeps {
  readonly logger: Logger;
  readonly invitations: InvitationSender;
  readonly now?: () => number;
  /** Web API retries; tests use 0 so a scripted error is seen at once. */
  readonly slackRetries?: number;
  readonly queue?: { readonly concurrency: number; readonly maxPending: number };
  readonly postToResponseUrl?: PostToResponseUrl;
  /** Where recent invitations are remembered for the duplicate guard; in memory unless given. */
  readonly recentInvitations?: RecentInvitationStore;
  /** Workspace search and titles, over the same upstream clients as the invitations. */
  readonly workspaces: WorkspaceDirectory;
}

export interface SlackApp {
  readonly app: App;
  readonly queue: WorkQueue;
  /** Resolves once Slack accepted the bot token and the app listens; the port is for HTTP mode. */
  start(): Promise<{ port?: number }>;
  /** Stops taking requests and work, lets queued invitations finish for up to `drainMs`. */
  stop(drainMs: number): Promise<{ drained: boolean }>;
}

type Health = 'starting' | 'ready' | 'stopping';

/** Kantata projects have a stable web address; Huddle documents none, so its workspaces are not linked. */
function workspaceUrls(config: Config): (service: ServiceName, workspaceId: string) => string | undefined {
  const kantataWebUrl = config.kantata?.webUrl;
  return (service, workspaceId) =>
    service === 'kantata' && kantataWebUrl && /^\d+$/.test(workspaceId) ? `${kantataWebUrl}/workspaces/${workspaceId}` : undefined;
}

/** Builds the Bolt app with every listener; tests pass fakes through `config` URLs and `deps`. */
export function createApp(config: Config, deps: AppDeps): SlackApp {
  const { logger } = deps;
  let health: Health = 'starting';
  const healthRoute: CustomRoute = {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      res.writeHead(health === 'ready' ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: health }));
    },
  };
  const socketMode = config.slack.appToken !== undefined;
  const bolt = boltLogger(logger);
  const clientOptions = {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: deps.slackRetries ?? 3, factor: 2, minTimeout: 500, maxTimeout: 5_000 },
    fetch: lightFetch,
  };
  const app = socketMode
    ? new App({
        token: config.slack.botToken,
        appToken: config.slack.appToken,
        socketMode: true,
        customRoutes: [healthRoute],
        installerOptions: { port: config.slack.port },
        logger: bolt,
        clientOptions,
        convoStore: false,
        deferInitialization: true,
      })
    : new App({
        token: config.slack.botToken,
        receiver: new StrictHTTPReceiver(
          { endpoints: '/slack/events', customRoutes: [healthRoute], logger: bolt },
          { signingSecret: config.slack.signingSecret ?? '', commands: [INVITE_COMMAND], logger, ...(deps.now ? { now: deps.now } : {}) },
        ),
        logger: bolt,
        clientOptions,
        convoStore: false,
        deferInitialization: true,
      });

  const queue = new WorkQueue({ concurrency: deps.queue?.concurrency ?? 4, maxPending: deps.queue?.maxPending ?? 100, logger });
  const { policy } = config;
  const authorizer = new Authorizer(app.client, policy, logger, deps.now);
  const guard = new InvitationGuard({
    invitations: deps.invitations,
    store: deps.recentInvitations ?? new MemoryRecentInvitationStore(),
    budget: new UserBudget(policy.userBudget.invitations, policy.userBudget.windowMs),
    duplicateWindowMs: policy.duplicateWindowMs,
    ...(deps.now ? { now: deps.now } : {}),
  });
  registerListeners(app, {
    services: enabledServices(config),
    policy,
    guard,
    authorizer,
    delivery: new Delivery(app.client, logger, deps.postToResponseUrl),
    client: app.client,
    logger,
    queue,
    workspaces: deps.workspaces,
    workspaceUrl: workspaceUrls(config),
  });
  app.error(async (error) => {
    logger.error({ event: 'listener_error', error: error.message, code: (error as { code?: string }).code }, 'unhandled error in a listener');
  });

  return {
    app,
    queue,
    async start() {
      if (authorizer.isOpenToAllMembers) {
        logger.warn(
          { event: 'open_to_all_members' },
          'INVITE_ALLOWED_USERS and INVITE_ALLOWED_USERGROUPS are unset: every full member of the workspace may invite people',
        );
      }
      await app.init();
      const started = (await app.start(config.slack.port)) as unknown;
      health = 'ready';
      const address = (started as Server | undefined)?.address?.();
      const port = address && typeof address === 'object' ? (address as AddressInfo).port : undefined;
      logger.info({ event: 'started', mode: socketMode ? 'socket' : 'http', port, services: enabledServices(config) }, 'slack-invite-bot is ready');
      return port !== undefined ? { port } : {};
    },
    async stop(drainMs) {
      health = 'stopping';
      const drained = queue.drain(drainMs);
      await app.stop().catch((error: unknown) => logger.warn({ event: 'stop_failed', error: String(error) }, 'stopping the receiver failed'));
      return { drained: await drained };
    },
  };
}
