import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { bearerToken, type FakeResponse, type RecordedRequest } from './fake-server.js';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';
export type DisconnectReason = 'warning' | 'refresh_requested' | 'too_many_websockets' | 'link_disabled';

/** How `apps.connections.open` can be made to fail. */
export type OpenFailure =
  /** An HTTP error status (500, 503; 429 with `Retry-After` seconds). */
  | { readonly kind: 'http'; readonly status: number; readonly retryAfterSeconds?: number }
  /** The connection is destroyed without an answer, as when a proxy or Slack's edge falls over. */
  | { readonly kind: 'hang_up' }
  /** `ok: false` with this error code. */
  | { readonly kind: 'error'; readonly error: string };

export interface FakeSocketModeOptions {
  /** The app-level token `apps.connections.open` accepts. */
  readonly appToken: string;
  readonly appId: string;
  /** Slack allows 10 connections per app; more are told `too_many_websockets`. */
  readonly maxConnections: number;
  /** Slack shows the person an error when an envelope is not acked within 3 seconds. */
  readonly ackTimeoutMs: number;
}

/** An ack frame as the fake received it. */
export interface AckFrame {
  readonly envelope_id: string;
  readonly payload?: Record<string, unknown>;
  /** The connection it came on. */
  readonly connectionId: number;
  /** Time from sending the envelope to receiving its ack. */
  readonly ackMs: number;
}

interface PendingEnvelope {
  readonly connection: FakeSocketConnection;
  readonly sentAt: number;
  resolve(ack: AckFrame): void;
  reject(error: Error): void;
}

/** One WebSocket an app opened, from Slack's side. */
export class FakeSocketConnection {
  readonly openedAt = Date.now();
  helloAt: number | undefined;
  closedAt: number | undefined;
  closedBy: 'client' | 'server' | undefined;
  closeCode: number | undefined;
  /** Neither answers pings nor delivers frames either way, yet stays open (a half-open TCP connection). */
  halfOpen = false;
  /** Disconnect frames sent on it, in order. */
  readonly disconnectsSent: DisconnectReason[] = [];
  /** @internal the fake is closing it itself. */
  serverClosing = false;

  constructor(
    readonly id: number,
    /** @internal */ readonly socket: WebSocket,
  ) {}

  get open(): boolean {
    return this.closedAt === undefined;
  }
}

/**
 * Slack's Socket Mode endpoint, faithful to the protocol: `apps.connections.open` checks the app-level
 * token and hands out a one-time `wss` URL (here `ws://127.0.0.1/link/?ticket=…`); a ticket works once;
 * each connection gets `hello`, envelopes and `disconnect` frames; acks must be JSON naming an envelope
 * sent on that same connection, within 3 seconds. Whatever Slack would refuse is refused here and listed in
 * `protocolErrors`.
 */
export class FakeSocketMode {
  readonly connections: FakeSocketConnection[] = [];
  /** Every `apps.connections.open` call and what it was answered. */
  readonly opens: { readonly at: number; readonly outcome: string }[] = [];
  /** What Slack would have refused: bad tickets, malformed or misdirected acks. Tests expect it empty. */
  readonly protocolErrors: string[] = [];
  /** Slack closes a connection about 10 s after `warning`; tests shorten it. */
  warningCloseDelayMs = 10_000;
  /** How long after `refresh_requested` (and the other disconnect reasons) the fake closes the socket itself. */
  refreshCloseDelayMs = 10_000;
  /** Delays every `apps.connections.open` answer (a slow Slack). */
  openDelayMs = 0;
  private readonly options: FakeSocketModeOptions;
  private readonly wss = new WebSocketServer({ noServer: true, autoPong: false });
  private readonly tickets = new Set<string>();
  private readonly pending = new Map<string, PendingEnvelope>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private failures: { readonly answers: readonly OpenFailure[]; callsLeft: number; until: number; next: number } | undefined;
  private nextConnectionId = 1;
  private nextEnvelope = 1;

  constructor(
    options: Partial<FakeSocketModeOptions> & Pick<FakeSocketModeOptions, 'appToken'>,
    /** Where the fake HTTP server listens (`http://127.0.0.1:port`), read when a URL is handed out. */
    private readonly origin: () => string,
  ) {
    this.options = { appId: 'A1', maxConnections: 10, ackTimeoutMs: 3_000, ...options };
  }

  /** Connections that said hello and are still open, oldest first (half-open ones included: Slack cannot tell). */
  get liveConnections(): FakeSocketConnection[] {
    return this.connections.filter((connection) => connection.open && connection.helloAt !== undefined);
  }

  /**
   * `apps.connections.open` answers these failures, in turn, for the next `calls` calls or for `forMs`
   * milliseconds from now, whichever limit is given.
   */
  failOpens(answers: OpenFailure | readonly OpenFailure[], limit: { readonly calls: number } | { readonly forMs: number }): void {
    this.failures = {
      answers: Array.isArray(answers) ? answers : [answers as OpenFailure],
      callsLeft: 'calls' in limit ? limit.calls : Infinity,
      until: 'forMs' in limit ? Date.now() + limit.forMs : Infinity,
      next: 0,
    };
  }

  /** The answer to `POST /api/apps.connections.open`. */
  answerOpen(request: RecordedRequest): FakeResponse {
    const json = (body: object): FakeResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), delayMs: this.openDelayMs });
    if (request.method !== 'POST') return this.recordOpen('method_not_allowed', { status: 405, body: '' });
    if (bearerToken(request) !== this.options.appToken) return this.recordOpen('invalid_auth', json({ ok: false, error: 'invalid_auth' }));
    const failure = this.takeFailure();
    if (failure) return this.recordOpen(describeFailure(failure), this.failureResponse(failure));
    const ticket = randomBytes(16).toString('hex');
    this.tickets.add(ticket);
    const url = `${this.origin().replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${this.options.appId}`;
    return this.recordOpen('url', json({ ok: true, url }));
  }

  /** Upgrades `/link/?ticket=…` to a WebSocket when the ticket is known and unused; refuses everything else. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!/^\/link\/?$/.test(url.pathname) || !this.tickets.delete(ticket)) {
      this.protocolErrors.push(`WebSocket upgrade refused: ${url.pathname === '/link/' || url.pathname === '/link' ? 'unknown or reused ticket' : `no endpoint ${url.pathname}`}`);
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
  }

  /**
   * Sends an envelope as Slack does and resolves with its ack frame. Rejects when no connection is live (Slack
   * loses it), when its connection closes first, or after 3 s without an ack (Slack shows the person an error).
   */
  sendEnvelope(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    options: { readonly connection?: FakeSocketConnection; readonly retryAttempt?: number; readonly retryReason?: string } = {},
  ): Promise<AckFrame> {
    const connection = options.connection ?? this.liveConnections.at(-1);
    if (!connection?.open) return Promise.reject(new Error('no open Socket Mode connection: Slack drops the envelope'));
    const envelopeId = `env-${this.nextEnvelope++}-${randomBytes(4).toString('hex')}`;
    const frame = {
      envelope_id: envelopeId,
      type,
      payload,
      accepts_response_payload: type !== 'events_api',
      ...(type === 'events_api' ? { retry_attempt: options.retryAttempt ?? 0, retry_reason: options.retryReason ?? '' } : {}),
    };
    return new Promise<AckFrame>((resolve, reject) => {
      const timer = this.later(this.options.ackTimeoutMs, () => {
        this.pending.delete(envelopeId);
        reject(new Error(`no ack for ${envelopeId} within ${this.options.ackTimeoutMs} ms`));
      });
      const settle = <T>(done: (value: T) => void) => (value: T) => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.pending.delete(envelopeId);
        done(value);
      };
      this.pending.set(envelopeId, { connection, sentAt: Date.now(), resolve: settle(resolve), reject: settle(reject) });
      this.deliver(connection, frame);
    });
  }

  /**
   * Sends `{"type":"disconnect","reason":…}` on a connection (the oldest live one unless given). Then, as
   * Slack does, closes it itself after `warningCloseDelayMs` (warning) or `refreshCloseDelayMs` (otherwise)
   * if the app has not closed it by then.
   */
  disconnect(reason: DisconnectReason, connection: FakeSocketConnection | undefined = this.liveConnections[0]): void {
    if (!connection?.open) throw new Error('no open connection to disconnect');
    connection.disconnectsSent.push(reason);
    this.deliver(connection, { type: 'disconnect', reason, debug_info: { host: 'applink-fake' } });
    this.later(reason === 'warning' ? this.warningCloseDelayMs : this.refreshCloseDelayMs, () => this.closeFromServer(connection, 1000));
  }

  /** Ends a connection abruptly: no close frame, as when a network path dies and the TCP connection resets. */
  drop(connection: FakeSocketConnection): void {
    connection.serverClosing = true;
    connection.socket.terminate();
  }

  /** The connection stays open but neither pings nor frames get through any more, in either direction. */
  halfOpen(connection: FakeSocketConnection): void {
    connection.halfOpen = true;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const connection of this.connections) {
      connection.serverClosing = true;
      connection.socket.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    const connection = new FakeSocketConnection(this.nextConnectionId++, ws);
    const tooMany = this.connections.filter((other) => other.open && other.helloAt !== undefined).length >= this.options.maxConnections;
    this.connections.push(connection);
    ws.on('ping', (data: Buffer) => {
      if (!connection.halfOpen) ws.pong(data);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.onClientFrame(connection, data, isBinary));
    ws.on('error', () => undefined);
    ws.on('close', (code: number) => this.onClosed(connection, code));
    if (tooMany) {
      this.disconnect('too_many_websockets', connection);
      return;
    }
    connection.helloAt = Date.now();
    this.deliver(connection, {
      type: 'hello',
      num_connections: this.liveConnections.length,
      debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18_060 },
      connection_info: { app_id: this.options.appId },
    });
  }

  private onClientFrame(connection: FakeSocketConnection, data: RawData, isBinary: boolean): void {
    if (connection.halfOpen) return;
    if (isBinary) {
      this.protocolErrors.push(`connection ${connection.id}: binary frame`);
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(rawText(data));
    } catch {
      this.protocolErrors.push(`connection ${connection.id}: ack is not JSON`);
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.protocolErrors.push(`connection ${connection.id}: ack is not an object`);
      return;
    }
    const { envelope_id: envelopeId, payload } = frame as { envelope_id?: unknown; payload?: unknown };
    const pending = typeof envelopeId === 'string' ? this.pending.get(envelopeId) : undefined;
    if (typeof envelopeId !== 'string' || !pending) {
      this.protocolErrors.push(`connection ${connection.id}: ack for an unknown, late or repeated envelope ${String(envelopeId)}`);
      return;
    }
    if (pending.connection !== connection) {
      this.protocolErrors.push(`connection ${connection.id}: ack for ${envelopeId}, which was sent on connection ${pending.connection.id}`);
      return;
    }
    if (payload !== undefined && (typeof payload !== 'object' || payload === null || Array.isArray(payload))) {
      this.protocolErrors.push(`connection ${connection.id}: ack payload for ${envelopeId} is not an object`);
      return;
    }
    pending.resolve({
      envelope_id: envelopeId,
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
      connectionId: connection.id,
      ackMs: Date.now() - pending.sentAt,
    });
  }

  private onClosed(connection: FakeSocketConnection, code: number): void {
    connection.closedAt = Date.now();
    connection.closedBy = connection.serverClosing ? 'server' : 'client';
    connection.closeCode = code;
    for (const pending of this.pending.values()) {
      if (pending.connection === connection) pending.reject(new Error(`connection ${connection.id} closed before the ack`));
    }
  }

  private closeFromServer(connection: FakeSocketConnection, code: number): void {
    if (!connection.open) return;
    connection.serverClosing = true;
    connection.socket.close(code);
  }

  private deliver(connection: FakeSocketConnection, frame: object): void {
    if (connection.halfOpen || connection.socket.readyState !== WebSocket.OPEN) return;
    connection.socket.send(JSON.stringify(frame));
  }

  private takeFailure(): OpenFailure | undefined {
    const failures = this.failures;
    if (!failures || failures.callsLeft <= 0 || Date.now() >= failures.until) {
      this.failures = undefined;
      return undefined;
    }
    failures.callsLeft -= 1;
    const answer = failures.answers[failures.next % failures.answers.length];
    failures.next += 1;
    return answer;
  }

  private failureResponse(failure: OpenFailure): FakeResponse {
    switch (failure.kind) {
      case 'http':
        return {
          status: failure.status,
          headers: { 'content-type': 'application/json', ...(failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {}) },
          body: JSON.stringify({ ok: false, error: failure.status === 429 ? 'ratelimited' : 'internal_error' }),
          delayMs: this.openDelayMs,
        };
      case 'hang_up':
        return { status: 0, hangUp: true, delayMs: this.openDelayMs };
      case 'error':
        return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: false, error: failure.error }), delayMs: this.openDelayMs };
    }
  }

  private recordOpen(outcome: string, response: FakeResponse): FakeResponse {
    this.opens.push({ at: Date.now(), outcome });
    return response;
  }

  private later(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
    return timer;
  }
}

function describeFailure(failure: OpenFailure): string {
  switch (failure.kind) {
    case 'http':
      return `http_${failure.status}`;
    case 'hang_up':
      return 'hang_up';
    case 'error':
      return failure.error;
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(new Uint8Array(data)).toString('utf8');
}
