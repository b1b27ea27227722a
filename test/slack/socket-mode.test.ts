import { createServer, type AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { socketModeText } from '../../src/messages.js';
import { REDACTED } from '../../src/secrets.js';
import type { AckFrame, FakeSocketConnection } from '../fakes/fake-socket-mode.js';
import { FakeSlack } from '../fakes/fake-slack.js';
import { SLACK_TEST_ENV } from '../fakes/env.js';
import { APP_TOKEN, inviteRequestCount, posted, useHarness, viewSubmission, workspaceSuggestion, type Harness, type HarnessOptions } from './harness.js';

// Registered first, so it runs after every other afterEach: anything the app left rejected shows up here.
const unhandledRejections: unknown[] = [];
const collectRejection = (reason: unknown) => void unhandledRejections.push(reason);
beforeAll(() => void process.on('unhandledRejection', collectRejection));
afterAll(() => void process.off('unhandledRejection', collectRejection));
afterEach(() => {
  expect(unhandledRejections).toEqual([]);
});

const start = useHarness();
let current: Harness | undefined;

/** The real app in Socket Mode over the fake Slack; `socketMode` options refine the harness's fast timing. */
async function startSocketMode(options: Omit<HarnessOptions, 'socketMode'> & { socketMode?: Exclude<HarnessOptions['socketMode'], boolean> } = {}): Promise<Harness> {
  current = await start({ ...options, socketMode: options.socketMode ?? true });
  return current;
}

// Runs before the harness closes: no log line may carry the app token or a WebSocket URL's one-time ticket,
// not even one the logger had to scrub.
afterEach(() => {
  const lines = current?.log.lines ?? [];
  current = undefined;
  for (const line of lines) {
    expect(line).not.toContain(APP_TOKEN);
    expect(line).not.toContain('ticket=');
    expect(line).not.toContain(REDACTED);
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on right now, for a test that must know the port before start() resolves. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function readyz(h: Harness): Promise<{ status: number; body: { status: string; reasons?: string[] } }> {
  const response = await request(`http://127.0.0.1:${h.port}/readyz`);
  return { status: response.statusCode, body: (await response.body.json()) as { status: string; reasons?: string[] } };
}

/** A counter or gauge sample from the app's /metrics registry. */
async function metric(h: Harness, sample: string): Promise<number> {
  const text = await h.app.metrics.registry.metrics();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

const logsOf = (h: Harness, event: string) => h.log.entries().filter((entry) => entry.event === event);

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

/** The one live connection other than `previous`, once there is one. */
async function replacementOf(h: Harness, previous: FakeSocketConnection, timeoutMs = 3_000): Promise<FakeSocketConnection> {
  await h.waitFor(() => h.socket.liveConnections.some((connection) => connection !== previous), timeoutMs);
  return only(h.socket.liveConnections.filter((connection) => connection !== previous));
}

const MODAL_METADATA = JSON.stringify({ channelId: 'C9', userId: 'U1' });

describe('Socket Mode: commands and interactions over the socket', () => {
  it('invites from a slash command envelope: the ack carries the acceptance, the invitation is sent and the summary posted', async () => {
    const h = await startSocketMode();
    const ack = await h.sendCommand('"Bob Smith" <bob@acme.com> to kantata:12345 as client -- Welcome aboard');
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral' });
    expect(String(ack.payload?.text)).toContain('Inviting 1 person to Kantata OX workspace');
    await h.settle();
    expect(h.kantata?.invitations.map(({ email, fullName, role, message }) => ({ email, fullName, role, message }))).toEqual([
      { email: 'bob@acme.com', fullName: 'Bob Smith', role: 'buyer', message: 'Welcome aboard' },
    ]);
    const summary = only(posted(h));
    expect(summary.args.channel).toBe('C1');
    expect(String(summary.args.text)).toBe('1 of 1 invited to Kantata OX workspace Acme Rollout (12345)');
    expect(await metric(h, 'slack_ack_seconds_count{kind="command"}')).toBe(1);
  });

  it('answers /invite help in the ack frame, privately, sending nothing', async () => {
    const h = await startSocketMode();
    const ack = await h.sendCommand('help');
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral' });
    expect(String(ack.payload?.text)).toContain('/invite "Bob Smith" &lt;bob@acme.com&gt;');
    await h.settle();
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('opens the modal with the command’s trigger, and a valid submission acked with no payload closes it and invites', async () => {
    const h = await startSocketMode();
    const opened = await h.sendCommand('');
    expect(opened).not.toHaveProperty('payload');
    await h.waitFor(() => h.slack.callsTo('views.open').length > 0);
    expect(only(h.slack.callsTo('views.open')).args.trigger_id).toBe('trigger-1');

    const submitted = await h.sendInteraction(
      viewSubmission(
        {
          service: { service: { type: 'static_select', selected_option: { value: 'kantata' } } },
          workspace: { workspace: { type: 'external_select', selected_option: { value: 'kantata:12345' } } },
          people: { people: { type: 'plain_text_input', value: 'Bob Smith <bob@acme.com>' } },
          role: { role: { type: 'static_select', selected_option: { value: 'maven' } } },
        },
        MODAL_METADATA,
      ),
    );
    expect(submitted).not.toHaveProperty('payload');
    await h.settle();
    expect(h.kantata?.invitations.map(({ email, role }) => [email, role])).toEqual([['bob@acme.com', 'maven']]);
    expect(only(posted(h)).args.channel).toBe('C9');
  });

  it('answers a mistaken submission with response_action errors in the ack, and sends nothing', async () => {
    const h = await startSocketMode();
    const ack = await h.sendInteraction(
      viewSubmission(
        {
          service: { service: { type: 'static_select', selected_option: { value: 'kantata' } } },
          workspace: { workspace: { type: 'external_select', selected_option: { value: 'kantata:12345' } } },
          people: { people: { type: 'plain_text_input', value: 'nonsense' } },
          role: { role: { type: 'static_select', selected_option: { value: 'buyer' } } },
        },
        MODAL_METADATA,
      ),
    );
    expect(ack.payload).toEqual({ response_action: 'errors', errors: { people: expect.stringContaining('Not e-mail addresses: "nonsense".') } });
    await h.settle();
    expect(inviteRequestCount(h)).toBe(0);
  });

  it('answers a workspace menu search (block_suggestion) with options in the ack', async () => {
    const h = await startSocketMode({ huddle: false });
    const ack = await h.sendInteraction(workspaceSuggestion('acme'));
    expect(ack.payload).toEqual({
      options: [
        { text: { type: 'plain_text', text: 'Acme Rollout (12345)', emoji: true }, value: 'kantata:12345' },
        { text: { type: 'plain_text', text: 'Acme Rollout Phase 2 (12346)', emoji: true }, value: 'kantata:12346' },
      ],
    });
    expect(await metric(h, 'slack_ack_seconds_count{kind="options"}')).toBe(1);
  });

  it('acks an interaction no listener handles at once, with no payload, and never hands it to Bolt', async () => {
    const h = await startSocketMode();
    const dispatched: string[] = [];
    h.app.app.use(async ({ body, next }) => {
      dispatched.push(String(body.type));
      await next();
    });
    const foreignModalClosed = {
      type: 'view_closed',
      team: { id: 'T1', domain: 'acme' },
      user: { id: 'U1', name: 'ann', team_id: 'T1' },
      api_app_id: 'A1',
      view: { id: 'V7', callback_id: 'another_apps_modal', type: 'modal' },
      is_cleared: false,
    };
    const ignored = await h.sendInteraction(foreignModalClosed);
    expect(ignored).not.toHaveProperty('payload');
    expect(ignored.ackMs).toBeLessThan(1_000);
    // A handled interaction does reach Bolt's middleware, so the list above would have shown the other one.
    await h.sendInteraction(workspaceSuggestion('acme'));
    expect(dispatched).toEqual(['block_suggestion']);
    expect(await metric(h, 'slack_requests_total{kind="interaction",outcome="ignored"}')).toBe(1);
  });
});

describe('Socket Mode: staying connected', () => {
  it('on refresh_requested opens the new connection before closing the old one, so no envelope falls into a gap', async () => {
    const h = await startSocketMode();
    h.socket.refreshCloseDelayMs = 5_000;
    const old = only(h.socket.liveConnections);
    const answers: Promise<AckFrame | Error>[] = [];
    const readiness: boolean[] = [];
    const stream = setInterval(() => {
      readiness.push(h.app.readiness.ready);
      answers.push(h.sendCommand('help').catch((error: Error) => error));
    }, 5);
    try {
      await sleep(30);
      h.socket.disconnect('refresh_requested', old);
      await h.waitFor(() => old.closedAt !== undefined);
      await sleep(50);
    } finally {
      clearInterval(stream);
    }
    const acks = await Promise.all(answers);
    expect(acks.filter((answer) => answer instanceof Error)).toEqual([]);
    const newer = only(h.socket.liveConnections);
    expect(new Set(acks.map((ack) => (ack as AckFrame).connectionId))).toEqual(new Set([old.id, newer.id]));
    expect(newer.helloAt).toBeLessThanOrEqual(old.closedAt ?? 0);
    expect(old).toMatchObject({ closedBy: 'client', closeCode: 1000 });
    expect(readiness.every(Boolean)).toBe(true);
    expect(h.socket.opens.map((open) => open.outcome)).toEqual(['url', 'url']);
    expect(await metric(h, 'socket_mode_reconnects_total{reason="refresh_requested"}')).toBe(1);
  });

  it('keeps a replaced connection open until what arrived on it is acked, and only then closes it', async () => {
    // A slow Kantata search holds the menu's ack for the search time box (about 600 ms).
    const h = await startSocketMode({ huddle: false, env: { WORKSPACE_SEARCH_TIMEOUT_MS: '600' } });
    if (h.kantata) h.kantata.lookupDelayMs = 1_000;
    h.socket.refreshCloseDelayMs = 5_000;
    const old = only(h.socket.liveConnections);
    const search = h.sendInteraction(workspaceSuggestion('rollout'), { connection: old });
    h.socket.disconnect('refresh_requested', old);
    const newer = await replacementOf(h, old);
    const ack = await search;
    expect(ack.connectionId).toBe(old.id);
    expect(JSON.stringify(ack.payload)).toContain('Kantata OX is slow to answer');
    await h.waitFor(() => old.closedAt !== undefined);
    expect(old).toMatchObject({ closedBy: 'client', closeCode: 1000 });
    expect((old.closedAt ?? 0) - (newer.helloAt ?? 0)).toBeGreaterThanOrEqual(300);
  });

  it('after a warning, a command sent on the old connection in its last seconds is acked there and handled', async () => {
    const h = await startSocketMode();
    h.socket.warningCloseDelayMs = 2_000;
    // Slack is slow to hand out the next URL, so the old connection is the only way in for a while.
    h.socket.openDelayMs = 400;
    const old = only(h.socket.liveConnections);
    h.socket.disconnect('warning', old);
    await sleep(100);
    const ack = await h.sendCommand('"Bob Smith" <bob@acme.com> to kantata:12345 as buyer', { connection: old });
    expect(ack.connectionId).toBe(old.id);
    expect(String(ack.payload?.text)).toContain('Inviting 1 person');
    await h.settle();
    expect(h.kantata?.invitations.map((invitation) => invitation.email)).toEqual(['bob@acme.com']);
    expect(posted(h)).toHaveLength(1);
    const newer = await replacementOf(h, old);
    await h.waitFor(() => old.closedAt !== undefined);
    // The bot closed it itself once the new one was live, before Slack would have.
    expect(old).toMatchObject({ closedBy: 'client', closeCode: 1000 });
    expect(newer.helloAt).toBeLessThanOrEqual(old.closedAt ?? 0);
    expect((await h.sendCommand('help')).connectionId).toBe(newer.id);
    expect(await metric(h, 'socket_mode_reconnects_total{reason="warning"}')).toBe(1);
  });

  it('reconnects at once after a dropped socket, and backs off when drops come in a row', async () => {
    const h = await startSocketMode({ socketMode: { timing: { initialBackoffMs: 1_000, maxBackoffMs: 4_000 } } });
    const first = only(h.socket.liveConnections);
    h.socket.drop(first);
    const second = await replacementOf(h, first);
    expect((second.helloAt ?? 0) - (first.closedAt ?? 0)).toBeLessThan(500);
    h.socket.drop(second);
    const third = await replacementOf(h, second);
    // Equal jitter on a 1 s base: between 0.5 and 1 s.
    expect((third.helloAt ?? 0) - (second.closedAt ?? 0)).toBeGreaterThanOrEqual(450);
    expect((await h.sendCommand('help')).connectionId).toBe(third.id);
    expect(logsOf(h, 'socket_dropped')).toHaveLength(2);
    expect(await metric(h, 'socket_mode_reconnects_total{reason="dropped"}')).toBe(2);
  });

  it('logs an ack it could not send because the connection its envelope came on dropped first', async () => {
    const h = await startSocketMode({ huddle: false, env: { WORKSPACE_SEARCH_TIMEOUT_MS: '400' } });
    if (h.kantata) h.kantata.lookupDelayMs = 1_000;
    const doomed = only(h.socket.liveConnections);
    const search = h.sendInteraction(workspaceSuggestion('rollout'), { connection: doomed });
    await sleep(50);
    h.socket.drop(doomed);
    await expect(search).rejects.toThrow(/closed before the ack/);
    await h.waitFor(() => logsOf(h, 'socket_ack_lost').length > 0);
    expect(only(logsOf(h, 'socket_ack_lost'))).toMatchObject({ level: 40, connection: 1, kind: 'options', why: 'connection closed' });
    await replacementOf(h, doomed);
  });

  it('/readyz answers 503 while no connection is live and 200 again once one is', async () => {
    const h = await startSocketMode({ socketMode: { timing: { initialBackoffMs: 150, maxBackoffMs: 300 } } });
    expect((await readyz(h)).status).toBe(200);
    h.socket.failOpens({ kind: 'http', status: 500 }, { calls: 3 });
    h.socket.drop(only(h.socket.liveConnections));
    await h.waitFor(() => h.socket.opens.length >= 2);
    expect(await readyz(h)).toEqual({ status: 503, body: { status: 'not_ready', reasons: [socketModeText.notConnected()] } });
    expect(await metric(h, 'socket_mode_state{state="connected"}')).toBe(0);
    await h.waitFor(() => h.socket.liveConnections.length === 1, 5_000);
    expect(await readyz(h)).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await metric(h, 'socket_mode_state{state="connected"}')).toBe(1);
    const failures = logsOf(h, 'socket_open_failed');
    expect(failures.map((entry) => [entry.level, entry.reason])).toEqual(Array(3).fill([40, 'apps.connections.open: HTTP 500']));
    for (const failure of failures) expect(failure.retryInMs).toBeGreaterThan(0);
  });

  it('replaces a half-open socket (no pong) with a new connection, opened before the old one is given up', async () => {
    const h = await startSocketMode();
    const stale = only(h.socket.liveConnections);
    // Healthy: pongs come back, so several ping intervals pass without a reconnect.
    await sleep(500);
    expect(h.socket.liveConnections).toEqual([stale]);
    h.socket.halfOpen(stale);
    const fresh = await replacementOf(h, stale);
    await h.waitFor(() => stale.closedAt !== undefined);
    expect(stale.closedBy).toBe('client');
    expect(fresh.helloAt).toBeLessThanOrEqual(stale.closedAt ?? 0);
    expect((await h.sendCommand('help')).connectionId).toBe(fresh.id);
    expect(logsOf(h, 'socket_pong_timeout')).toHaveLength(1);
    expect(await metric(h, 'socket_mode_reconnects_total{reason="pong_timeout"}')).toBe(1);
  });

  it('on too_many_websockets closes that socket and opens another after a backoff', async () => {
    const h = await startSocketMode({ socketMode: { timing: { initialBackoffMs: 400, maxBackoffMs: 800 } } });
    h.socket.refreshCloseDelayMs = 5_000;
    const refused = only(h.socket.liveConnections);
    h.socket.disconnect('too_many_websockets', refused);
    await h.waitFor(() => refused.closedAt !== undefined);
    expect(refused).toMatchObject({ closedBy: 'client', closeCode: 1000 });
    const next = await replacementOf(h, refused);
    expect((next.helloAt ?? 0) - (refused.closedAt ?? 0)).toBeGreaterThanOrEqual(180);
    expect(await metric(h, 'socket_mode_reconnects_total{reason="too_many_websockets"}')).toBe(1);
  });

  it(
    'keeps trying through 30 s of apps.connections.open failures of every kind, then reconnects promptly',
    async () => {
      const h = await startSocketMode({ socketMode: { timing: { initialBackoffMs: 100, maxBackoffMs: 1_000 } } });
      const outageMs = 30_000;
      h.socket.failOpens(
        [
          { kind: 'http', status: 500 },
          { kind: 'hang_up' },
          { kind: 'error', error: 'internal_error' },
          { kind: 'http', status: 429, retryAfterSeconds: 1 },
          { kind: 'http', status: 503 },
        ],
        { forMs: outageMs },
      );
      const outageEnds = Date.now() + outageMs;
      const lost = only(h.socket.liveConnections);
      h.socket.drop(lost);
      await sleep(2_000);
      expect((await readyz(h)).status).toBe(503);
      await expect(h.sendCommand('help')).rejects.toThrow(/no open Socket Mode connection/);

      const back = await replacementOf(h, lost, outageMs + 5_000);
      expect(back.helloAt ?? 0).toBeGreaterThanOrEqual(outageEnds);
      expect((back.helloAt ?? 0) - outageEnds).toBeLessThan(1_500);
      expect(await readyz(h)).toEqual({ status: 200, body: { status: 'ready' } });
      expect((await h.sendCommand('help')).connectionId).toBe(back.id);

      const failedOpens = h.socket.opens.filter((open) => open.outcome !== 'url');
      expect(failedOpens.length).toBeGreaterThan(20);
      expect(new Set(failedOpens.map((open) => open.outcome))).toEqual(new Set(['http_500', 'hang_up', 'internal_error', 'http_429', 'http_503']));
      const warnings = logsOf(h, 'socket_open_failed');
      expect(warnings).toHaveLength(failedOpens.length);
      expect(new Set(warnings.map((entry) => entry.reason))).toEqual(
        new Set([
          'apps.connections.open: HTTP 500',
          'apps.connections.open: UND_ERR_SOCKET',
          'apps.connections.open: internal_error',
          'apps.connections.open: rate limited (HTTP 429)',
          'apps.connections.open: HTTP 503',
        ]),
      );
      // Retry-After is honoured; everything else backs off within the cap.
      for (const entry of warnings) {
        if (String(entry.reason).includes('429')) expect(entry.retryInMs).toBe(1_000);
        else expect(Number(entry.retryInMs)).toBeLessThanOrEqual(1_000);
      }
    },
    45_000,
  );

  it('on link_disabled says loudly that Socket Mode is off, closes everything and stops asking for connections', async () => {
    const h = await startSocketMode();
    const connection = only(h.socket.liveConnections);
    h.socket.disconnect('link_disabled', connection);
    await h.waitFor(() => connection.closedAt !== undefined);
    expect(connection).toMatchObject({ closedBy: 'client', closeCode: 1000 });
    await sleep(500);
    expect(h.socket.opens).toHaveLength(1);
    expect(h.socket.liveConnections).toEqual([]);
    const [error] = logsOf(h, 'socket_mode_disabled');
    expect(error).toMatchObject({ level: 50, cause: 'link_disabled', msg: socketModeText.disabled() });
    expect(String(error?.msg)).toContain('restart the bot after turning it back on');
    const ready = await readyz(h);
    expect(ready.status).toBe(503);
    expect(ready.body.reasons).toEqual([socketModeText.disabled()]);
    expect(await metric(h, 'socket_mode_state{state="disabled"}')).toBe(1);
  });

  it('rejects start when Slack refuses the app-level token, naming the cause and never the token', async () => {
    const wrongToken = 'xapp-1-A1-9999-not-the-apps-token';
    const h = await startSocketMode({ startApp: false, env: { SLACK_APP_TOKEN: wrongToken } });
    await expect(h.startApp()).rejects.toMatchObject({ name: 'SocketModeStartError', reason: 'invalid_auth' });
    const error = only(logsOf(h, 'socket_mode_disabled'));
    expect(error).toMatchObject({ level: 50, cause: 'invalid_auth', msg: socketModeText.tokenRejected('invalid_auth') });
    await sleep(300);
    expect(h.socket.opens.map((open) => open.outcome)).toEqual(['invalid_auth']);
    expect(h.socket.connections).toEqual([]);
    for (const line of h.log.lines) expect(line).not.toContain(wrongToken);
  });

  it('serves /healthz and a 503 /readyz while Slack is unreachable at start-up; stop() then ends start() and all retries', async () => {
    const port = await freePort();
    const h = await startSocketMode({ startApp: false, env: { PORT: String(port) } });
    h.socket.failOpens({ kind: 'http', status: 503 }, { calls: 1_000 });
    const starting = h.startApp();
    await h.waitFor(() => h.socket.opens.length >= 2);
    expect((await request(`http://127.0.0.1:${port}/healthz`)).statusCode).toBe(200);
    const ready = await request(`http://127.0.0.1:${port}/readyz`);
    expect(ready.statusCode).toBe(503);
    expect(await ready.body.json()).toEqual({ status: 'not_ready', reasons: ['starting up', socketModeText.notConnected()] });
    await h.app.stop();
    await expect(starting).rejects.toMatchObject({ name: 'SocketModeStartError', reason: 'stopped' });
    const opensAtStop = h.socket.opens.length;
    await sleep(300);
    expect(h.socket.opens).toHaveLength(opensAtStop);
  });

  it('stops cleanly: sockets closed with 1000, no reconnect, no HTTP server, and stopping twice is harmless', async () => {
    const h = await startSocketMode();
    const connection = only(h.socket.liveConnections);
    const port = h.port;
    await h.app.stop();
    expect(connection).toMatchObject({ closedBy: 'client', closeCode: 1000 });
    await sleep(200);
    expect(h.socket.opens).toHaveLength(1);
    await expect(request(`http://127.0.0.1:${port}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(h.app.stop()).resolves.toBeUndefined();
  });
});

describe('the fake Socket Mode endpoint', () => {
  const openUrl = async (slack: FakeSlack, token: string) => {
    const response = await request(`${slack.apiUrl}apps.connections.open`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    return (await response.body.json()) as { ok: boolean; url?: string; error?: string };
  };
  const connect = (url: string) =>
    new Promise<{ socket: WebSocket; hello: Record<string, unknown> }>((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once('message', (data) => resolve({ socket, hello: JSON.parse(String(data)) as Record<string, unknown> }));
      socket.once('error', reject);
    });
  const nextFrame = (socket: WebSocket) => new Promise<Record<string, unknown>>((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>)));

  it('refuses a wrong token, a reused ticket and malformed or misdirected acks, as Slack would', async () => {
    const slack = await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN, { socketMode: { appToken: APP_TOKEN } });
    const fake = slack.socketMode;
    const sockets: WebSocket[] = [];
    try {
      expect(await openUrl(slack, 'xapp-1-wrong')).toEqual({ ok: false, error: 'invalid_auth' });
      const { url } = await openUrl(slack, APP_TOKEN);
      const first = await connect(url ?? '');
      sockets.push(first.socket);
      expect(first.hello).toMatchObject({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A1' } });
      await expect(connect(url ?? '')).rejects.toThrow(/401/);

      const second = await connect((await openUrl(slack, APP_TOKEN)).url ?? '');
      sockets.push(second.socket);
      const envelopeArrives = nextFrame(first.socket);
      const acked = fake?.sendEnvelope('slash_commands', { command: '/invite', text: 'help' }, { connection: fake.connections[0] });
      const envelope = await envelopeArrives;
      expect(envelope).toMatchObject({ type: 'slash_commands', accepts_response_payload: true, payload: { command: '/invite' } });
      first.socket.send('not json');
      first.socket.send(JSON.stringify({ envelope_id: 'env-never-sent' }));
      second.socket.send(JSON.stringify({ envelope_id: envelope.envelope_id }));
      while ((fake?.protocolErrors.length ?? 0) < 4) await sleep(5);
      first.socket.send(JSON.stringify({ envelope_id: envelope.envelope_id, payload: { text: 'ok' } }));
      await expect(acked).resolves.toMatchObject({ envelope_id: envelope.envelope_id, payload: { text: 'ok' }, connectionId: 1 });
      expect(fake?.protocolErrors).toEqual([
        'WebSocket upgrade refused: unknown or reused ticket',
        'connection 1: ack is not JSON',
        'connection 1: ack for an unknown, late or repeated envelope env-never-sent',
        `connection 2: ack for ${String(envelope.envelope_id)}, which was sent on connection 1`,
      ]);
    } finally {
      for (const socket of sockets) socket.terminate();
      await slack.close();
    }
  });

  it('allows 10 connections per app and tells the next one too_many_websockets', async () => {
    const slack = await FakeSlack.start(SLACK_TEST_ENV.SLACK_BOT_TOKEN, { socketMode: { appToken: APP_TOKEN } });
    const sockets: WebSocket[] = [];
    try {
      for (let index = 0; index < 10; index += 1) {
        const { socket, hello } = await connect((await openUrl(slack, APP_TOKEN)).url ?? '');
        sockets.push(socket);
        expect(hello).toMatchObject({ type: 'hello', num_connections: index + 1 });
      }
      const eleventh = await connect((await openUrl(slack, APP_TOKEN)).url ?? '');
      sockets.push(eleventh.socket);
      expect(eleventh.hello).toMatchObject({ type: 'disconnect', reason: 'too_many_websockets' });
      expect(slack.socketMode?.liveConnections).toHaveLength(10);
    } finally {
      for (const socket of sockets) socket.terminate();
      await slack.close();
    }
  });
});
