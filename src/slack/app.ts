import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App } from '@slack/bolt';
import { enabledServices, type Config } from '../config.js';
import { readManifestScopes, runDoctor } from '../doctor.js';
import type { Engine } from '../engine.js';
import { Accounts } from '../identity/accounts.js';
import type { LinkStore } from '../identity/link-store.js';
import { LinkedClients } from '../identity/linked-clients.js';
import { oauthProviders, type OAuthProvider } from '../identity/oauth.js';
import { afterLink } from './after-link.js';
import { AppHome, cachedChecks } from './app-home.js';
import { IdentityAccess } from './identity-access.js';
import type { InviteContext } from './invite-flow.js';
import { linkRoutes } from './link-routes.js';
import { Readiness } from '../health.js';
import type { Logger } from '../logger.js';
import { socketModeText } from '../messages.js';
import { Metrics, type SocketModeState } from '../metrics.js';
import { boltLogger } from './bolt-logger.js';
import { countErrors, urgentClientOptions } from './clients.js';
import { createUrgentSlack } from './urgent-slack.js';
import { PrivateNotices, type PostToResponseUrl } from './private-notices.js';
import { operationalRoutes } from './http-routes.js';
import type { WorkspaceDirectory } from '../invitations/workspaces.js';
import type { Ledger } from '../invitations/ledger/ledger.js';
import { Authorizer } from './authorization.js';
import { INVITE_COMMAND } from './listeners/invite-command.js';
import { HANDLED_EVENTS, HANDLED_INTERACTIONS, registerListeners } from './listeners/index.js';
import { StrictHTTPReceiver, type ReplayGuard } from './receiver.js';
import { SocketModeReceiver, type SocketModeDisabledCause, type SocketModeTiming } from './socket-mode-receiver.js';
import { workspaceUrls } from './workspace-urls.js';
import { workspaceLabel } from './invite-flow.js';

export interface AppDeps {
  readonly logger: Logger;
  /** Every accepted request is written here. */
  readonly ledger: Ledger;
  /** People's linked accounts (used when linking is configured). */
  readonly links: LinkStore;
  /** The shared upstream clients: the doctor's checks in the Home tab, and the settings linked clients share. */
  readonly engine: Engine;
  /** Signatures of the Slack requests seen lately: the replay guard's memory (HTTP mode). */
  readonly replays: ReplayGuard;
  /** Tells the sender that work was recorded. */
  readonly workRecorded: () => void;
  readonly now?: () => number;
  readonly postToResponseUrl?: PostToResponseUrl;
  /** Workspace search and titles, over the same upstream clients as the invitations. */
  readonly workspaces: WorkspaceDirectory;
  readonly metrics?: Metrics;
  /** What `/metrics` serves; this process's registry unless given (the background thread's is merged in). */
  readonly exposition?: () => Promise<{ contentType: string; body: string }>;
  /** Socket Mode backoff, ping and grace periods; tests shrink them. */
  readonly socketModeTiming?: Partial<SocketModeTiming>;
}

export interface SlackApp {
  readonly app: App;
  readonly readiness: Readiness;
  readonly metrics: Metrics;
  /** Resolves once Slack accepted the bot token and the app listens; the port is where the HTTP routes are served. */
  start(): Promise<{ port?: number }>;
  /** Stops taking requests from Slack; what was recorded stays in the ledger for the sender. */
  stop(): Promise<void>;
}

/** Slack reaches a Socket Mode bot only through a live connection, so readiness follows the connection. */
function reflectSocketModeState(readiness: Readiness, state: SocketModeState, cause: SocketModeDisabledCause | undefined): void {
  if (state === 'connected') readiness.clear('slack');
  else if (state === 'disabled') readiness.block('slack', cause && cause !== 'link_disabled' ? socketModeText.tokenRejected(cause) : socketModeText.disabled());
  else if (state === 'stopped') readiness.block('slack', socketModeText.stopped());
  else readiness.block('slack', socketModeText.notConnected());
}

/** The port the routes are served on: Bolt's HTTP receiver starts with its server, ours in Socket Mode with `{ port }`. */
function listeningPort(started: unknown): number | undefined {
  const address = (started as Server | undefined)?.address?.();
  if (address && typeof address === 'object') return (address as AddressInfo).port;
  const port = (started as { port?: unknown } | undefined)?.port;
  return typeof port === 'number' ? port : undefined;
}

/** People's linked accounts as this thread uses them (searching, linking); none while linking is not configured. */
function linkingFor(config: Config, deps: AppDeps, now: () => number): { accounts: Accounts; clients: LinkedClients; close(): Promise<void> } | undefined {
  if (!config.identity) return undefined;
  const settings = deps.engine.clientSettings;
  const providers: Partial<Record<'kantata' | 'huddle', OAuthProvider>> = oauthProviders(config.identity, {
    connectTimeoutMs: config.upstreamHttp.connectTimeoutMs,
    responseTimeoutMs: config.upstreamHttp.responseTimeoutMs,
    secrets: settings.secrets,
    now,
    ...(config.kantata ? { kantataApiUrl: config.kantata.apiUrl } : {}),
    ...(config.huddle ? { huddleApiUrl: config.huddle.apiUrl } : {}),
    ...(settings.observe ? { observe: settings.observe } : {}),
  });
  const accounts = new Accounts({ config, links: deps.links, providers, logger: deps.logger, now });
  // This thread never invites: the shared inviters are the background thread's business.
  const clients = new LinkedClients({ config, accounts, settings, shared: { inviters: {}, sources: deps.engine.sources, directory: deps.workspaces }, logger: deps.logger, now });
  return {
    accounts,
    clients,
    close: async () => {
      await Promise.allSettled([clients.close(), ...Object.values(providers).map((provider) => provider.close())]);
    },
  };
}

/** Builds the Bolt app with every listener; tests pass fakes through `config` URLs and `deps`. */
export function createApp(config: Config, deps: AppDeps): SlackApp {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? new Metrics();
  const readiness = new Readiness();
  readiness.block('starting', 'starting up');
  // Listeners use the urgent client; Bolt keeps its own for itself, and outcome posts have theirs (background.ts).
  const slack = createUrgentSlack({ token: config.slack.botToken, ...(config.slack.apiUrl ? { apiUrl: config.slack.apiUrl } : {}), metrics });
  const authorizer = new Authorizer(slack, config.policy, logger, now);
  const linking = linkingFor(config, deps, now);
  const context: InviteContext = {
    services: enabledServices(config),
    policy: config.policy,
    authorizer,
    notices: new PrivateNotices(slack, logger, deps.postToResponseUrl),
    slack,
    logger,
    metrics,
    workspaces: deps.workspaces,
    identity: new IdentityAccess(deps.workspaces, linking),
    workspaceUrl: workspaceUrls(config),
    ledger: deps.ledger,
    workRecorded: deps.workRecorded,
    admins: config.admins,
    now,
  };
  const routes = [
    ...operationalRoutes(readiness, deps.exposition ?? (async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }))),
    ...(config.identity && linking
      ? linkRoutes({ identity: config.identity, accounts: linking.accounts, afterLink: (nonce, link) => afterLink(context, nonce, link), logger, now })
      : []),
  ];
  const appToken = config.slack.appToken;
  const socketMode = appToken !== undefined;
  const bolt = boltLogger(logger);
  const clientOptions = urgentClientOptions(config.slack.apiUrl ? { apiUrl: config.slack.apiUrl } : {});
  const app = socketMode
    ? new App({
        token: config.slack.botToken,
        // Our own receiver: @slack/socket-mode 3.1.0 can stop reconnecting for good and loses envelopes on disconnect.
        receiver: new SocketModeReceiver({
          appToken,
          ...(config.slack.apiUrl ? { apiUrl: config.slack.apiUrl } : {}),
          port: config.slack.port,
          routes,
          handled: HANDLED_INTERACTIONS,
          handledEvents: HANDLED_EVENTS,
          logger,
          metrics,
          onStateChange: (state, cause) => reflectSocketModeState(readiness, state, cause),
          ...deps.socketModeTiming,
        }),
        logger: bolt,
        clientOptions,
        convoStore: false,
        deferInitialization: true,
      })
    : new App({
        token: config.slack.botToken,
        receiver: new StrictHTTPReceiver(
          { endpoints: '/slack/events', customRoutes: [...routes], logger: bolt },
          {
            signingSecret: config.slack.signingSecret ?? '',
            commands: [INVITE_COMMAND],
            handled: HANDLED_INTERACTIONS,
            handledEvents: HANDLED_EVENTS,
            replays: deps.replays,
            logger,
            metrics,
            now,
          },
        ),
        logger: bolt,
        clientOptions,
        convoStore: false,
        deferInitialization: true,
      });
  countErrors(app.client, metrics);
  const home = new AppHome({
    services: context.services,
    admins: config.admins,
    ledger: deps.ledger,
    identity: context.identity,
    slack,
    checks: cachedChecks(async () => runDoctor(config, { engine: deps.engine, slack: app.client, requiredScopes: readManifestScopes() }), now),
    workspaceUrl: context.workspaceUrl,
    logger,
    now,
  });
  const { approval } = config.policy;
  registerListeners(app, context, home, {
    approval,
    approverCheck: new Authorizer(slack, { allowedUsers: approval.approverUsers, allowedUsergroups: approval.approverUsergroups }, logger, now),
    ledger: deps.ledger,
    notices: context.notices,
    logger,
    workRecorded: deps.workRecorded,
    now,
    slack,
    label: (request) => {
      const known = deps.workspaces.knownWorkspace(request.service, request.workspaceId);
      return { ...workspaceLabel(context, request.service, request.workspaceId, request.workspaceTitle ?? known?.title), ...(known?.teams ? { teams: known.teams } : {}) };
    },
  });
  app.error(async (error) => {
    logger.error({ event: 'listener_error', error: error.message, code: (error as { code?: string }).code }, 'unhandled error in a listener');
  });

  return {
    app,
    readiness,
    metrics,
    async start() {
      if (authorizer.isOpenToAllMembers) {
        logger.warn(
          { event: 'open_to_all_members' },
          'INVITE_ALLOWED_USERS and INVITE_ALLOWED_USERGROUPS are unset: every full member of the workspace may invite people',
        );
      }
      await app.init();
      const started = (await app.start(config.slack.port)) as unknown;
      readiness.clear('starting');
      const port = listeningPort(started);
      logger.info({ event: 'started', mode: socketMode ? 'socket' : 'http', port, services: enabledServices(config) }, 'slack-invite-bot is ready');
      return port !== undefined ? { port } : {};
    },
    async stop() {
      readiness.block('stopping', 'the bot is stopping');
      await app.stop().catch((error: unknown) => logger.warn({ event: 'stop_failed', error: String(error) }, 'stopping the receiver failed'));
      await Promise.allSettled([slack.close(), linking?.close()]);
    },
  };
}
