import type * as webApi from '@slack/web-api';
import { enabledServices, type Config } from './config.js';
import type { Engine } from './engine.js';
import { Accounts } from './identity/accounts.js';
import type { LinkStore } from './identity/link-store.js';
import { LinkedClients } from './identity/linked-clients.js';
import { oauthProviders } from './identity/oauth.js';
import { approversOf } from './invitations/approval.js';
import { FollowUp } from './invitations/follow-up.js';
import type { Coordination } from './invitations/ledger/coordination.js';
import type { Ledger, StoredRequest } from './invitations/ledger/ledger.js';
import { Sender, type Inviters, type InvitersFor } from './invitations/sender.js';
import { linkText, SERVICE_LABELS } from './messages.js';
import type { ProviderError } from './providers/errors.js';
import { connectPromptMessage } from './slack/connect-prompt.js';
import { workspaceMrkdwn } from './slack/render.js';
import { slackErrorCode } from './slack/slack-errors.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { createPatientClient } from './slack/clients.js';
import type { PostToResponseUrl } from './slack/private-notices.js';
import { OutcomeDelivery } from './slack/outcome-delivery.js';
import type { WorkspaceLabel } from './slack/render.js';
import { workspaceUrls } from './slack/workspace-urls.js';

/** How often history is pruned, and how long a title lookup may hold up a summary. */
const PURGE_EVERY_MS = 3_600_000;
const DEPTH_EVERY_MS = 5_000;
const APPROVAL_SWEEP_MS = 60_000;
const DAY_MS = 86_400_000;
/** A request on hold for its owner's reconnect waits this long (the same day delivery waits for Slack). */
const HOLD_FOR_LINK_MS = DAY_MS;
/** How often requests on hold too long are given up on. */
const EXPIRE_HOLDS_EVERY_MS = 60_000;

/** Timings tests shorten; production uses the defaults. */
export interface BackgroundTimings {
  readonly leaseMs?: number;
  readonly pollMs?: number;
  readonly deliveryPollMs?: number;
  /** How often requests held for approval are checked for expiry. */
  readonly approvalSweepMs?: number;
  /** Longest wait for a project's participants before inviting anyway (3 s unless given). */
  readonly membersTimeoutMs?: number;
  /** How often the follow-up looks for invited people due a look (a minute unless given). */
  readonly followUpPollMs?: number;
}

export interface BackgroundDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly ledger: Ledger;
  /** People's linked accounts; needed when linking is configured. */
  readonly links?: LinkStore;
  readonly engine: Engine;
  readonly coordination: Coordination;
  /** This process, as leases name it. */
  readonly owner: string;
  readonly postToResponseUrl?: PostToResponseUrl;
  /** Retries of the Slack client that posts outcomes; tests use 0. */
  readonly slackRetries?: number;
  readonly timings?: BackgroundTimings;
  readonly now?: () => number;
}

/** The slow half of the bot: sending from the ledger and telling people how it went. */
export interface Background {
  /** Work was recorded: look now rather than at the next poll. */
  wake(): void;
  /** Stops; calls already sent get until `deadlineMs` to answer. True when none was left mid-call. */
  stop(deadlineMs: number): Promise<{ drained: boolean }>;
}

export async function startBackground(deps: BackgroundDeps): Promise<Background> {
  const { config, logger, metrics, ledger, engine, owner } = deps;
  const now = deps.now ?? Date.now;
  const urlOf = workspaceUrls(config);
  const slack = createPatientClient({
    token: config.slack.botToken,
    ...(config.slack.apiUrl ? { apiUrl: config.slack.apiUrl } : {}),
    ...(deps.slackRetries !== undefined ? { patientRetries: deps.slackRetries } : {}),
    metrics,
  });
  const sharedInviters = { ...(engine.kantata ? { kantata: engine.kantata } : {}), ...(engine.huddle ? { huddle: engine.huddle } : {}) };
  const linking = linkingFor(deps, sharedInviters, now);
  const delivery = new OutcomeDelivery({
    ledger,
    client: slack,
    ...(deps.postToResponseUrl ? { postToResponseUrl: deps.postToResponseUrl } : {}),
    logger,
    metrics,
    owner,
    label: async (request: StoredRequest): Promise<WorkspaceLabel> => {
      // Asked only now, after sending, so invitations never wait for it; an unknown title shows the id alone.
      // Sent as someone, it is looked up as them: the bot's shared account may not see that workspace at all.
      // A Kantata project is asked even with its title stored: its team names are worth showing too.
      const directory =
        linking && request.identity?.kind === 'linked'
          ? (await linking.clients.directoryFor({ teamId: request.teamId ?? '', userId: request.userId }, [request.service]).catch(() => undefined))?.directory
          : engine.workspaces;
      const details = request.workspaceTitle !== undefined && request.service !== 'kantata' ? undefined : await directory?.details(request.service, request.workspaceId);
      const title = request.workspaceTitle ?? details?.title;
      const url = urlOf(request.service, request.workspaceId);
      return { ...(title ? { title } : {}), ...(url ? { url } : {}), ...(details?.teams ? { teams: details.teams } : {}) };
    },
    approvals: { approvers: approversOf(config.policy.approval), ...(config.policy.approval.channel ? { channel: config.policy.approval.channel } : {}) },
    now,
    ...(deps.timings?.deliveryPollMs !== undefined ? { pollMs: deps.timings.deliveryPollMs } : {}),
    ...(deps.timings?.leaseMs !== undefined ? { leaseMs: deps.timings.leaseMs } : {}),
  });
  const inviters: InvitersFor = linking ? (request) => linking.clients.invitersFor(request) : async () => sharedInviters;
  const sender = new Sender({
    ledger,
    services: enabledServices(config),
    inviters,
    ...(linking ? { onHeldForLink: (request: StoredRequest, error: ProviderError) => askToReconnect(linking.accounts, slack, request, error, logger, urlOf) } : {}),
    coordination: deps.coordination,
    owner,
    logger,
    metrics,
    now,
    onProgress: () => delivery.wake(),
    ...(deps.timings?.leaseMs !== undefined ? { leaseMs: deps.timings.leaseMs } : {}),
    ...(deps.timings?.pollMs !== undefined ? { pollMs: deps.timings.pollMs } : {}),
    ...(deps.timings?.membersTimeoutMs !== undefined ? { membersTimeoutMs: deps.timings.membersTimeoutMs } : {}),
  });
  const followUp = new FollowUp({
    ledger,
    inviters,
    coordination: deps.coordination,
    // Huddle has no way to tell who joined: only Kantata invitations are followed up.
    callsPerHour: config.kantata ? config.followUp.callsPerHour : 0,
    logger,
    now,
    onJoined: () => delivery.wake(),
    ...(deps.timings?.followUpPollMs !== undefined ? { pollMs: deps.timings.followUpPollMs } : {}),
  });
  deps.coordination.onWork(() => sender.wake());
  await sender.start();
  delivery.start();
  followUp.start();

  const timers = [
    setInterval(() => void refreshDepth(ledger, metrics, logger), DEPTH_EVERY_MS),
    setInterval(() => void purgeHistory(ledger, config.storage.historyDays, now(), logger, deps.links), PURGE_EVERY_MS),
    setInterval(() => void expireApprovals(ledger, now(), logger, () => delivery.wake()), deps.timings?.approvalSweepMs ?? APPROVAL_SWEEP_MS),
    ...(linking ? [setInterval(() => void expireHolds(ledger, now(), logger, () => delivery.wake()), EXPIRE_HOLDS_EVERY_MS)] : []),
  ];
  for (const timer of timers) timer.unref();
  void purgeHistory(ledger, config.storage.historyDays, now(), logger, deps.links);

  return {
    wake() {
      sender.wake();
      delivery.wake();
    },
    async stop(deadlineMs) {
      for (const timer of timers) clearInterval(timer);
      const startedAt = Date.now();
      // Most of the time goes to calls in flight; a moment is kept for posting what they settled.
      const [{ drained }] = await Promise.all([sender.stop(Math.max(0, deadlineMs - 1_500)), followUp.stop(Math.max(0, deadlineMs - 1_500))]);
      await delivery.stop(Math.max(200, deadlineMs - (Date.now() - startedAt)));
      await linking?.close();
      return { drained };
    },
  };
}

interface Linking {
  readonly accounts: Accounts;
  readonly clients: LinkedClients;
  close(): Promise<void>;
}

/** People's linked accounts, as the sender uses them; none while linking is not configured. */
function linkingFor(deps: BackgroundDeps, sharedInviters: Inviters, now: () => number): Linking | undefined {
  const { config, engine, logger } = deps;
  if (!config.identity || !deps.links) return undefined;
  const providers = oauthProviders(config.identity, {
    connectTimeoutMs: config.upstreamHttp.connectTimeoutMs,
    responseTimeoutMs: config.upstreamHttp.responseTimeoutMs,
    secrets: engine.clientSettings.secrets,
    now,
    ...(config.kantata ? { kantataApiUrl: config.kantata.apiUrl } : {}),
    ...(config.huddle ? { huddleApiUrl: config.huddle.apiUrl } : {}),
    ...(engine.clientSettings.observe ? { observe: engine.clientSettings.observe } : {}),
  });
  const accounts = new Accounts({ config, links: deps.links, providers, logger, now });
  const clients = new LinkedClients({
    config,
    accounts,
    settings: engine.clientSettings,
    shared: { inviters: sharedInviters, sources: engine.sources, directory: engine.workspaces },
    logger,
    now,
  });
  return {
    accounts,
    clients,
    close: async () => {
      await Promise.allSettled([clients.close(), ...Object.values(providers).map((provider) => provider.close())]);
    },
  };
}

/**
 * A request sent as its owner was refused because of their account: the link is marked broken (if the
 * refusal did not do so already) and the owner gets a direct message with a button to reconnect, which
 * resumes the request.
 */
async function askToReconnect(
  accounts: Accounts,
  slack: webApi.WebClient,
  request: StoredRequest,
  error: ProviderError,
  logger: Logger,
  urlOf: (service: StoredRequest['service'], workspaceId: string) => string | undefined,
): Promise<void> {
  if (request.identity?.kind === 'linked') await accounts.markBroken(request.identity.linkId, error.code ?? 'refused');
  const person = { teamId: request.teamId ?? '', userId: request.userId };
  const url = await accounts.connectUrl(person, request.service, { kind: 'held', ref: request.ref });
  const label = SERVICE_LABELS[request.service];
  const where = workspaceMrkdwn(request.workspaceId, { ...(request.workspaceTitle ? { title: request.workspaceTitle } : {}), ...(urlOf(request.service, request.workspaceId) ? { url: urlOf(request.service, request.workspaceId) as string } : {}) });
  const message = connectPromptMessage(linkText.heldForReconnect(label, where, request.ref), [{ service: request.service, url, reconnect: true }]);
  try {
    await slack.chat.postMessage({ channel: request.userId, ...message, unfurl_links: false, unfurl_media: false });
  } catch (failure) {
    logger.error({ event: 'reconnect_prompt_undelivered', ref: request.ref, userId: request.userId, slackError: slackErrorCode(failure) }, 'could not ask the requester to reconnect');
  }
}

/** Requests on hold for a reconnect for more than a day give up: their unsent invitees fail. */
async function expireHolds(ledger: Ledger, now: number, logger: Logger, wake: () => void): Promise<void> {
  try {
    const expired = await ledger.expireAwaitingLink(now - HOLD_FOR_LINK_MS, now);
    if (expired > 0) {
      logger.warn({ event: 'holds_expired', requests: expired }, 'requests waited a day for their owners to reconnect: their unsent invitations failed');
      wake();
    }
  } catch (error) {
    logger.warn({ event: 'hold_expiry_failed', error: error instanceof Error ? error.message : String(error) }, 'could not give up on old holds');
  }
}

async function refreshDepth(ledger: Ledger, metrics: Metrics, logger: Logger): Promise<void> {
  try {
    metrics.setQueueDepth(await ledger.depth());
  } catch (error) {
    logger.warn({ event: 'queue_depth_failed', error: error instanceof Error ? error.message : String(error) }, 'could not read the queue depth');
  }
}

/** Requests nobody decided on in time: never sent; the requester and the approvers are told. */
async function expireApprovals(ledger: Ledger, now: number, logger: Logger, expired: () => void): Promise<void> {
  try {
    const count = await ledger.expireApprovals(now);
    if (count > 0) expired();
  } catch (error) {
    logger.warn({ event: 'approval_expiry_failed', error: error instanceof Error ? error.message : String(error) }, 'could not expire held requests');
  }
}

/** Addresses are personal data: history older than INVITE_HISTORY_DAYS is deleted, and so are spent connect links. */
async function purgeHistory(ledger: Ledger, days: number, now: number, logger: Logger, links?: LinkStore): Promise<void> {
  try {
    const deleted = await ledger.purge(now - days * DAY_MS);
    if (deleted > 0) logger.info({ event: 'history_purged', requests: deleted, days }, 'deleted old invitation history');
    // A waiting request may sit in a nonce (addresses and all): gone a day after the link expired.
    if (links) await links.purgeNonces(now - DAY_MS);
  } catch (error) {
    logger.warn({ event: 'history_purge_failed', error: error instanceof Error ? error.message : String(error) }, 'could not delete old history');
  }
}
