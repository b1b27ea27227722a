import { request } from 'undici';
import { afterEach, expect } from 'vitest';
import { parseConfig, secretValues } from '../../src/config.js';
import type { BackgroundTimings } from '../../src/background.js';
import { createBot } from '../../src/bot.js';
import { Metrics } from '../../src/metrics.js';
import type { SocketModeTiming } from '../../src/slack/socket-mode-receiver.js';
import { SLACK_TEST_ENV } from '../fakes/env.js';
import { FakeHuddle, type FakeHuddleOptions } from '../fakes/fake-huddle.js';
import { FakeKantata, type FakeKantataOptions, type FakeKantataPerson } from '../fakes/fake-kantata.js';
import type { FakeHuddleUser } from '../fakes/fake-huddle.js';
import { FakeHuddleLogin, FakeKantataOAuth } from '../fakes/fake-oauth.js';
import { freePort } from '../fakes/free-port.js';
import { FakeSlack } from '../fakes/fake-slack.js';
import type { AckFrame, FakeSocketConnection, FakeSocketMode, FakeSocketModeOptions } from '../fakes/fake-socket-mode.js';
import { recordingLogger } from '../fakes/recording-logger.js';
import { slackSignature, slashCommandBody } from '../fakes/slack-requests.js';
import { sqliteStore, type TestStore } from '../fakes/stores.js';

export const KANTATA_TOKEN = 'kt-harness-token-0001';
export const HUDDLE_TOKEN = 'ht-harness-token-0002';
export const SIGNING_SECRET = SLACK_TEST_ENV.SLACK_SIGNING_SECRET;
export const APP_TOKEN = 'xapp-1-A1-1111-harness-app-level-token';

/** Socket Mode waits short enough for tests: quick backoff, pings every 100 ms. */
export const FAST_SOCKET_MODE: Partial<SocketModeTiming> = {
  initialBackoffMs: 20,
  maxBackoffMs: 200,
  pingIntervalMs: 100,
  pongTimeoutMs: 150,
  openTimeoutMs: 1_000,
  ackGraceMs: 1_000,
};

export interface HarnessOptions {
  readonly kantata?: Partial<FakeKantataOptions> | false;
  readonly huddle?: Partial<FakeHuddleOptions> | false;
  readonly env?: Record<string, string>;
  /** Where the ledger lives; a fresh SQLite directory unless given. */
  readonly store?: TestStore;
  /**
   * Run the app in Socket Mode (SLACK_APP_TOKEN set) against the fake Slack's Socket Mode endpoint instead of
   * posting to /slack/events. `timing` replaces FAST_SOCKET_MODE's values; `fake` configures the endpoint.
   */
  readonly socketMode?: boolean | { readonly timing?: Partial<SocketModeTiming>; readonly fake?: Partial<FakeSocketModeOptions> };
  /** false: leave `startApp()` to the test, to watch start-up itself (a refused token, say). */
  readonly startApp?: boolean;
  /** Another replica's fakes, to run a second bot against the same Slack and services (left open on close). */
  readonly shareFakesOf?: { readonly slack: FakeSlack; readonly kantata: FakeKantata | undefined; readonly huddle: FakeHuddle | undefined };
  /** Background timings beyond the harness's quick polls (a shorter wait for participants, say). */
  readonly timings?: BackgroundTimings;
  /** The bot's clock (and the one requests are signed with): tests move it forward to skip waiting. */
  readonly now?: () => number;
  /** People link their own accounts: OAuth fakes for the services named, PUBLIC_URL on the bot's port. */
  readonly linking?: HarnessLinking;
}

export interface HarnessLinking {
  readonly kantata?: boolean;
  readonly huddle?: boolean | { readonly accessTokenSeconds?: number };
  /** INVITE_REQUIRE_LINKED_ACCOUNT. */
  readonly require?: boolean;
  /** false: no shared tokens at all, people can only use their own accounts. */
  readonly shared?: boolean;
}

/** The Kantata OX and Huddle users who sign in at the OAuth fakes unless a test switches them. */
export const ANN_KANTATA: FakeKantataPerson = { id: 'k-501', fullName: 'Ann Lee' };
export const ANN_HUDDLE: FakeHuddleUser = { id: '7001', displayName: 'Ann Lee' };
/** TOKEN_ENCRYPTION_KEY of the harness: one key, id k1. */
export const TOKEN_KEY = `k1:${Buffer.alloc(32, 9).toString('base64')}`;
export const KANTATA_CLIENT = { clientId: 'kantata-client-1', clientSecret: 'kantata-client-secret-1' };
export const HUDDLE_CLIENT = { clientId: 'huddle-client-1' };

export interface SignedResponse {
  readonly status: number;
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
}

export function sign(body: string, timestamp: number, secret: string = SIGNING_SECRET): string {
  return slackSignature(body, timestamp, secret);
}

/** The real app over HTTP, with fake Slack, Kantata and Huddle behind it. */
export async function startHarness(options: HarnessOptions = {}) {
  const socketMode = options.socketMode === true ? {} : options.socketMode || undefined;
  const replicaOf = options.shareFakesOf;
  const slack: FakeSlack = replicaOf?.slack ?? (await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN, socketMode ? { socketMode: { appToken: APP_TOKEN, ...socketMode.fake } } : {}));
  // The person who types the commands: a full member of the bot's own workspace.
  slack.addUser({ id: 'U1', email: 'ann@inviter.example', realName: 'Ann Inviter' });
  const kantata: FakeKantata | undefined = replicaOf ? replicaOf.kantata : options.kantata === false ? undefined : await FakeKantata.start({ token: KANTATA_TOKEN, ...options.kantata });
  const huddle: FakeHuddle | undefined = replicaOf ? replicaOf.huddle : options.huddle === false ? undefined : await FakeHuddle.start({ tokens: [HUDDLE_TOKEN], ...options.huddle });
  const store = options.store ?? sqliteStore();
  const linking = options.linking;
  // The OAuth fakes must know the callback address before the bot starts: its port is chosen here.
  const port0 = linking ? await freePort() : 0;
  const publicUrl = `http://127.0.0.1:${port0}`;
  const kantataOAuth =
    linking?.kantata && kantata ? await FakeKantataOAuth.start({ ...KANTATA_CLIENT, redirectUri: `${publicUrl}/oauth/kantata/callback` }, kantata, ANN_KANTATA) : undefined;
  const huddleSeconds = typeof linking?.huddle === 'object' ? linking.huddle.accessTokenSeconds : undefined;
  const huddleLogin =
    linking?.huddle && huddle ? await FakeHuddleLogin.start({ ...HUDDLE_CLIENT, redirectUri: `${publicUrl}/oauth/huddle/callback` }, huddle, ANN_HUDDLE, huddleSeconds) : undefined;
  const shared = linking?.shared !== false;
  const config = parseConfig({
    ...SLACK_TEST_ENV,
    ...store.env,
    SLACK_API_URL: slack.apiUrl,
    PORT: String(port0),
    ...(socketMode ? { SLACK_APP_TOKEN: APP_TOKEN } : {}),
    ...(kantata ? { ...(shared ? { KANTATA_API_TOKEN: KANTATA_TOKEN } : {}), KANTATA_API_URL: kantata.apiUrl } : {}),
    ...(huddle ? { ...(shared ? { HUDDLE_API_TOKEN: HUDDLE_TOKEN } : {}), HUDDLE_API_URL: huddle.apiUrl } : {}),
    ...(linking ? { PUBLIC_URL: publicUrl, TOKEN_ENCRYPTION_KEY: TOKEN_KEY, ...(linking.require ? { INVITE_REQUIRE_LINKED_ACCOUNT: 'true' } : {}) } : {}),
    ...(kantataOAuth ? { KANTATA_CLIENT_ID: KANTATA_CLIENT.clientId, KANTATA_CLIENT_SECRET: KANTATA_CLIENT.clientSecret, KANTATA_OAUTH_URL: kantataOAuth.url } : {}),
    ...(huddleLogin ? { HUDDLE_CLIENT_ID: HUDDLE_CLIENT.clientId, HUDDLE_LOGIN_URL: huddleLogin.url } : {}),
    ...options.env,
  });
  const log = recordingLogger(secretValues(config));
  const metrics = new Metrics();
  const bot = await createBot(config, {
    logger: log.logger,
    metrics,
    background: 'inline',
    retryPolicy: { maxAttempts: 3, maxTotalMs: 2_000, baseDelayMs: 5, maxDelayMs: 20 },
    slackRetries: 0,
    timings: { pollMs: 50, deliveryPollMs: 20, ...options.timings },
    ...(options.now ? { now: options.now } : {}),
    ...(socketMode ? { socketModeTiming: { ...FAST_SOCKET_MODE, ...socketMode.timing } } : {}),
  });
  const app = bot.slack;
  let port: number | undefined;
  const startApp = async () => {
    port = (await bot.start()).port;
    return { port };
  };
  async function close(): Promise<void> {
    await bot.stop(1_000);
    if (!replicaOf) await Promise.all([slack.close(), kantata?.close(), huddle?.close()]);
    await Promise.all([kantataOAuth?.close(), huddleLogin?.close()]);
    if (!options.store) await store.drop();
  }
  if (options.startApp !== false) {
    try {
      await startApp();
    } catch (error) {
      await close();
      throw error;
    }
  }
  const eventsUrl = () => `http://127.0.0.1:${port}/slack/events`;
  let sequence = 0;

  const now = options.now ?? Date.now;
  async function post(body: string, headers: Record<string, string> = {}, timestamp = Math.floor(now() / 1000)): Promise<SignedResponse> {
    const response = await request(eventsUrl(), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': sign(body, timestamp),
        ...headers,
      },
      body,
    });
    const text = await response.body.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.statusCode, text, json };
  }

  let events = 0;
  /** An Events API callback as Slack sends it over HTTP: JSON, signed, with its own event id. */
  async function event(payload: Record<string, unknown>, headers: Record<string, string> = {}, eventId?: string): Promise<SignedResponse> {
    events += 1;
    const body = JSON.stringify({
      token: 'deprecated-verification-token',
      team_id: 'T1',
      api_app_id: 'A1',
      event: { event_ts: `${1_700_000_000 + events}.000100`, ...payload },
      type: 'event_callback',
      event_id: eventId ?? `Ev${String(events).padStart(8, '0')}`,
      event_time: 1_700_000_000 + events,
    });
    return post(body, { 'content-type': 'application/json', ...headers });
  }

  function commandBody(text: string, overrides: Record<string, string> = {}): string {
    sequence += 1;
    return slashCommandBody(text, { responseUrl: slack.responseUrl(`cmd-${sequence}`), triggerId: `trigger-${sequence}` }, overrides);
  }

  /** The fake's Socket Mode endpoint; only in Socket Mode. */
  const socket = (): FakeSocketMode => {
    if (!slack.socketMode) throw new Error('this harness runs in HTTP mode: start it with { socketMode: true }');
    return slack.socketMode;
  };

  return {
    slack,
    kantata,
    huddle,
    kantataOAuth,
    huddleLogin,
    publicUrl,
    config,
    app,
    bot,
    ledger: bot.ledger,
    store,
    log,
    get eventsUrl() {
      return eventsUrl();
    },
    get port() {
      return port;
    },
    startApp,
    post,
    commandBody,
    event,
    command: (text: string, overrides: Record<string, string> = {}) => post(commandBody(text, overrides)),
    interaction: (payload: object) => post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString()),
    get socket() {
      return socket();
    },
    /** `/invite …` as a Socket Mode envelope; resolves with its ack frame. */
    sendCommand: (text: string, options: { connection?: FakeSocketConnection; overrides?: Record<string, string> } = {}): Promise<AckFrame> =>
      socket().sendEnvelope('slash_commands', Object.fromEntries(new URLSearchParams(commandBody(text, options.overrides))), options),
    /** An interaction payload as a Socket Mode envelope; resolves with its ack frame. */
    sendInteraction: (payload: Record<string, unknown>, options: { connection?: FakeSocketConnection } = {}): Promise<AckFrame> =>
      socket().sendEnvelope('interactive', payload, options),
    /** Waits for something the app does after acking (a views.open, say). */
    async waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    /** Waits until every recorded request is sent and its outcome delivered, so what it posted can be checked. */
    async settle(timeoutMs = 5_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      await new Promise((resolve) => setTimeout(resolve, 20));
      while ((await bot.ledger.unfinished(1)).length > 0) {
        if (Date.now() > deadline) throw new Error('the ledger did not settle');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close,
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/**
 * One harness per test, closed after it; afterwards nothing the app sent may have been refused by the
 * fake Slack's Block Kit checks, nor by its Socket Mode endpoint. Returns the function a test calls to start its harness.
 */
export function useHarness(): (options?: HarnessOptions) => Promise<Harness> {
  let harness: Harness | undefined;
  afterEach(async () => {
    if (!harness) return;
    const refused = harness.slack.calls.filter((call) => ['invalid_blocks', 'invalid_arguments'].includes(String(call.response.error)));
    const socketModeViolations = [...(harness.slack.socketMode?.protocolErrors ?? [])];
    await harness.close();
    harness = undefined;
    expect(refused.map((call) => call.response)).toEqual([]);
    expect(socketModeViolations).toEqual([]);
  });
  return async (options = {}) => {
    harness = await startHarness(options);
    return harness;
  };
}

/** Messages the app posted that Slack accepted. */
export const posted = (h: Harness) => h.slack.callsTo('chat.postMessage').filter((call) => call.response.ok);

/** Invitation requests that reached Kantata or Huddle (lookups not counted). */
export const inviteRequestCount = (h: Harness) => (h.kantata?.inviteRequests.length ?? 0) + (h.huddle?.inviteRequests.length ?? 0);

/** A block_suggestion payload as Slack sends it while someone types in the form's workspace menu. */
export function workspaceSuggestion(value: string, options: { userId?: string; service?: string } = {}) {
  return {
    type: 'block_suggestion',
    user: { id: options.userId ?? 'U1', username: 'ann', name: 'ann', team_id: 'T1' },
    container: { type: 'view', view_id: 'V1' },
    api_app_id: 'A1',
    token: 'deprecated-verification-token',
    action_id: 'workspace',
    block_id: 'workspace',
    value,
    team: { id: 'T1', domain: 'acme' },
    enterprise: null,
    is_enterprise_install: false,
    view: {
      id: 'V1',
      type: 'modal',
      callback_id: 'invite_modal',
      private_metadata: '{"channelId":"C1","userId":"U1"}',
      state: { values: options.service ? { service: { service: { type: 'static_select', selected_option: { value: options.service } } } } : {} },
    },
  };
}

/** A view_submission payload as Slack sends it for the invitation modal. */
export function viewSubmission(values: Record<string, Record<string, unknown>>, privateMetadata: string, userId = 'U1') {
  return {
    type: 'view_submission',
    team: { id: 'T1', domain: 'acme' },
    user: { id: userId, username: 'ann', name: 'ann', team_id: 'T1' },
    api_app_id: 'A1',
    token: 'deprecated-verification-token',
    trigger_id: 'trigger-view',
    view: {
      id: 'V1',
      team_id: 'T1',
      type: 'modal',
      callback_id: 'invite_modal',
      private_metadata: privateMetadata,
      state: { values },
      hash: '1.abc',
      title: { type: 'plain_text', text: 'Invite people' },
      blocks: [],
      app_id: 'A1',
      bot_id: 'BBOT',
    },
    response_urls: [],
    is_enterprise_install: false,
  };
}

/** A block_actions payload for a press of one of the bot's buttons, as Slack sends it from a message. */
export function buttonClick(h: Harness, actionId: string, value: string, options: { userId?: string; channelId?: string; messageTs?: string } = {}) {
  const userId = options.userId ?? 'U1';
  const channelId = options.channelId ?? 'C1';
  return {
    type: 'block_actions',
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T1' },
    api_app_id: 'A1',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: options.messageTs ?? '1700000001.000100', channel_id: channelId, is_ephemeral: false },
    trigger_id: `trigger-click-${userId}`,
    team: { id: 'T1', domain: 'acme' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channelId, name: 'somewhere' },
    message: { type: 'message', ts: options.messageTs ?? '1700000001.000100', text: '' },
    response_url: h.slack.responseUrl(`click-${userId}-${actionId}`),
    actions: [{ type: 'button', action_id: actionId, block_id: 'buttons', value, text: { type: 'plain_text', text: actionId }, action_ts: '1700000002.000300' }],
  };
}

/** What the app answered, privately, to a press of a button by this person. */
export const clickAnswers = (h: Harness, userId: string) =>
  h.slack.responseUrlPosts.filter((post) => post.path.startsWith(`/respond/click-${userId}-`)).map((post) => String(post.body.text));
