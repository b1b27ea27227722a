import { request } from 'undici';
import { afterEach, expect } from 'vitest';
import { parseConfig, secretValues } from '../../src/config.js';
import { createEngine } from '../../src/engine.js';
import { createApp, type SlackApp } from '../../src/slack/app.js';
import { SLACK_TEST_ENV } from '../fakes/env.js';
import { FakeHuddle, type FakeHuddleOptions } from '../fakes/fake-huddle.js';
import { FakeKantata, type FakeKantataOptions } from '../fakes/fake-kantata.js';
import { FakeSlack } from '../fakes/fake-slack.js';
import { recordingLogger } from '../fakes/recording-logger.js';
import { slackSignature, slashCommandBody } from '../fakes/slack-requests.js';

export const KANTATA_TOKEN = 'kt-harness-token-0001';
export const HUDDLE_TOKEN = 'ht-harness-token-0002';
export const SIGNING_SECRET = SLACK_TEST_ENV.SLACK_SIGNING_SECRET;

export interface HarnessOptions {
  readonly kantata?: Partial<FakeKantataOptions> | false;
  readonly huddle?: Partial<FakeHuddleOptions> | false;
  readonly env?: Record<string, string>;
  readonly queue?: { concurrency: number; maxPending: number };
}

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
  const slack = await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN);
  // The person who types the commands: a full member of the bot's own workspace.
  slack.addUser({ id: 'U1', email: 'ann@inviter.example', realName: 'Ann Inviter' });
  const kantata = options.kantata === false ? undefined : await FakeKantata.start({ token: KANTATA_TOKEN, ...options.kantata });
  const huddle = options.huddle === false ? undefined : await FakeHuddle.start({ tokens: [HUDDLE_TOKEN], ...options.huddle });
  const config = parseConfig({
    ...SLACK_TEST_ENV,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    ...(kantata ? { KANTATA_API_TOKEN: KANTATA_TOKEN, KANTATA_API_URL: kantata.apiUrl } : {}),
    ...(huddle ? { HUDDLE_API_TOKEN: HUDDLE_TOKEN, HUDDLE_API_URL: huddle.apiUrl } : {}),
    ...options.env,
  });
  const log = recordingLogger(secretValues(config));
  const engine = createEngine(config, {
    logger: log.logger,
    retryPolicy: { maxAttempts: 3, maxTotalMs: 2_000, baseDelayMs: 5, maxDelayMs: 20 },
  });
  const app: SlackApp = createApp(config, {
    logger: log.logger,
    invitations: engine.invitations,
    workspaces: engine.workspaces,
    slackRetries: 0,
    ...(options.queue ? { queue: options.queue } : {}),
  });
  const { port } = await app.start();
  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
  let sequence = 0;

  async function post(body: string, headers: Record<string, string> = {}, timestamp = Math.floor(Date.now() / 1000)): Promise<SignedResponse> {
    const response = await request(eventsUrl, {
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

  function commandBody(text: string, overrides: Record<string, string> = {}): string {
    sequence += 1;
    return slashCommandBody(text, { responseUrl: slack.responseUrl(`cmd-${sequence}`), triggerId: `trigger-${sequence}` }, overrides);
  }

  return {
    slack,
    kantata,
    huddle,
    app,
    log,
    eventsUrl,
    port,
    post,
    commandBody,
    command: (text: string, overrides: Record<string, string> = {}) => post(commandBody(text, overrides)),
    interaction: (payload: object) => post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString()),
    /** Waits for something the app does after acking (a views.open, say). */
    async waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    /** Waits until queued work is done, so what it posted can be checked. */
    async settle(timeoutMs = 5_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      await new Promise((resolve) => setTimeout(resolve, 20));
      while (app.queue.size > 0) {
        if (Date.now() > deadline) throw new Error('work queue did not settle');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close(): Promise<void> {
      await app.stop(1_000);
      await engine.close();
      await Promise.all([slack.close(), kantata?.close(), huddle?.close()]);
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

/**
 * One harness per test, closed after it; afterwards nothing the app sent may have been refused by the
 * fake Slack's Block Kit checks. Returns the function a test calls to start its harness.
 */
export function useHarness(): (options?: HarnessOptions) => Promise<Harness> {
  let harness: Harness | undefined;
  afterEach(async () => {
    if (!harness) return;
    const refused = harness.slack.calls.filter((call) => ['invalid_blocks', 'invalid_arguments'].includes(String(call.response.error)));
    await harness.close();
    harness = undefined;
    expect(refused.map((call) => call.response)).toEqual([]);
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
