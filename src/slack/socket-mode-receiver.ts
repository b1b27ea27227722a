import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App, Receiver } from '@slack/bolt';
import { WebSocket, type RawData } from 'ws';
import type { Logger } from '../logger.js';
import { socketModeText } from '../messages.js';
import type { Metrics, RequestKind, SocketModeState } from '../metrics.js';
import { backoffDelay } from '../providers/retry.js';
import { routeRequests, type HttpRoute } from './http-routes.js';
import { isHandledEvent, isHandledInteraction, type HandledInteraction } from './interactions.js';
import {
  ackFrame,
  DEFAULT_SLACK_API_URL,
  describeSocketUrl,
  parseFrame,
  requestKindOf,
  requestSocketUrl,
  withoutTicket,
  type Envelope,
  type FatalOpenError,
} from './socket-mode-protocol.js';

/** Why a connection was opened again; the label of `socket_mode_reconnects_total`. */
export type SocketReconnectReason = 'warning' | 'refresh_requested' | 'too_many_websockets' | 'dropped' | 'pong_timeout' | 'open_failed';

/** Why Socket Mode gave up for good: it is turned off in the app's settings, or Slack refused the app-level token. */
export type SocketModeDisabledCause = 'link_disabled' | FatalOpenError;

export interface SocketModeTiming {
  /** First wait after a failure; doubles with each failure in a row, with jitter. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** A WebSocket ping this often finds sockets that died without a close (half-open). */
  readonly pingIntervalMs: number;
  /** No pong this long after a ping: the socket is given up and replaced. */
  readonly pongTimeoutMs: number;
  /** Longest wait for `apps.connections.open` to answer, and then for the new socket's `hello`. */
  readonly openTimeoutMs: number;
  /** A connection that lasted this long ends a run of failures: the next drop is retried at once. */
  readonly stableAfterMs: number;
  /** How long a replaced connection stays open for acks of envelopes that arrived on it (Slack waits 3 s). */
  readonly ackGraceMs: number;
}

export const DEFAULT_SOCKET_MODE_TIMING: SocketModeTiming = {
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  pingIntervalMs: 10_000,
  pongTimeoutMs: 5_000,
  openTimeoutMs: 10_000,
  stableAfterMs: 60_000,
  ackGraceMs: 3_000,
};

export interface SocketModeReceiverOptions extends Partial<SocketModeTiming> {
  /** The app-level token (`xapp-…`, scope `connections:write`). */
  readonly appToken: string;
  /** Web API base URL, ending in `/`; Slack's own when unset. */
  readonly apiUrl?: string;
  /** Port of the HTTP server for `routes`; 0 picks a free one (tests). */
  readonly port: number;
  readonly routes: readonly HttpRoute[];
  /** Interactions some listener answers; every other one is acked at once with nothing in it. */
  readonly handled: readonly HandledInteraction[];
  /** Event types some listener answers; every other event is acked at once and dropped. */
  readonly handledEvents?: readonly string[];
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Told every change of state; `cause` says why when the state is `disabled`. */
  readonly onStateChange?: (state: SocketModeState, cause?: SocketModeDisabledCause) => void;
  /** Told every time a connection is opened again, and why (metrics are counted already when given). */
  readonly onReconnect?: (reason: SocketReconnectReason) => void;
  /** Jitter source; tests may fix it. */
  readonly random?: () => number;
}

/** `start()` failed for good: Slack refused the app-level token, Socket Mode is off, or `stop()` came first. */
export class SocketModeStartError extends Error {
  constructor(readonly reason: SocketModeDisabledCause | 'stopped') {
    super(reason === 'stopped' ? 'Socket Mode was stopped before it connected' : `Socket Mode cannot connect: ${reason}`);
    this.name = 'SocketModeStartError';
  }
}

type Attempt =
  | { readonly kind: 'live'; readonly connection: SocketConnection }
  | { readonly kind: 'failed'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'fatal'; readonly code: FatalOpenError }
  | { readonly kind: 'halted' };

/** One WebSocket to Slack and what the receiver knows about it. */
class SocketConnection {
  helloAt: number | undefined;
  /** Slack announced its end (warning, refresh) or it missed a pong: a replacement is being opened. */
  replaced = false;
  /** Missed a pong: frames may no longer get through, so it no longer counts as connected. */
  suspect = false;
  /** The receiver is closing it: its close is expected, never a drop. */
  closing = false;
  /** Envelopes that arrived here and are not acked yet; their acks can only go out on this socket. */
  unacked = 0;
  /** Why it ended before `hello`, when known better than a close code. */
  failure: string | undefined;
  /** Settles the attempt that opened it, once: `hello`, or the end of the socket before it. */
  settleAttempt: ((attempt: Attempt) => void) | undefined;
  pingTimer: NodeJS.Timeout | undefined;
  pongTimer: NodeJS.Timeout | undefined;
  closeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    readonly socket: WebSocket,
  ) {}

  get live(): boolean {
    return this.helloAt !== undefined && !this.suspect && !this.closing && this.socket.readyState === WebSocket.OPEN;
  }

  stopTimers(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    clearTimeout(this.closeTimer);
    this.pongTimer = undefined;
  }
}

/**
 * Bolt's Receiver for Socket Mode, replacing the one in @slack/socket-mode 3.1.0, which gives up
 * reconnecting after a short outage (as an unhandled rejection) and closes its only socket before opening
 * the next one when Slack announces a disconnect, losing what is sent in between (Slack re-delivers no
 * command or interaction). Here:
 *
 * - failures to connect are retried forever with capped exponential backoff, except answers that no retry
 *   can fix (a refused app-level token, Socket Mode turned off), which are reported loudly;
 * - on `warning` and `refresh_requested` the next socket is opened first, and the old one closed only
 *   once the new one said `hello` and every envelope that came on the old one has been acked;
 * - pings find half-open sockets; interactions no listener answers are acked at once;
 * - an HTTP server serves the operational routes (`/healthz`, `/readyz`, `/metrics`), as in HTTP mode.
 */
export class SocketModeReceiver implements Receiver {
  private app: App | undefined;
  private readonly timing: SocketModeTiming;
  private readonly apiUrl: string;
  private readonly logger: Logger;
  private readonly connections = new Set<SocketConnection>();
  /** Aborted by `stop()` or when Socket Mode is disabled: cancels waits and `apps.connections.open` calls. */
  private readonly halt = new AbortController();
  private nextConnectionId = 1;
  private currentState: SocketModeState = 'disconnected';
  private disabledCause: SocketModeDisabledCause | undefined;
  private stopped = false;
  private attempting = false;
  private waitingToRetry = false;
  private failureStreak = 0;
  private lastHelloAt = 0;
  private server: Server | undefined;
  private connecting: Promise<'connected' | 'halted'> | undefined;
  private starting: Promise<{ port: number }> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: SocketModeReceiverOptions) {
    this.timing = { ...DEFAULT_SOCKET_MODE_TIMING, ...definedOnly(options) };
    this.apiUrl = options.apiUrl ?? DEFAULT_SLACK_API_URL;
    this.logger = options.logger;
  }

  get state(): SocketModeState {
    return this.currentState;
  }

  init(app: App): void {
    this.app = app;
  }

  /** Serves the routes, then resolves with the bound port once the first connection said `hello`. */
  start(): Promise<{ port: number }> {
    this.starting ??= this.startOnce();
    return this.starting;
  }

  /** No more reconnects; sockets closed with 1000 and the HTTP server closed. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private get halted(): boolean {
    return this.halt.signal.aborted;
  }

  private async startOnce(): Promise<{ port: number }> {
    if (this.stopped) throw new SocketModeStartError('stopped');
    const port = await this.listen();
    const outcome = await this.connect(0);
    if (outcome === 'connected') return { port };
    throw new SocketModeStartError(this.disabledCause ?? 'stopped');
  }

  private async stopOnce(): Promise<void> {
    this.stopped = true;
    this.halt.abort();
    this.refreshState();
    await Promise.all([...this.connections].map((connection) => this.closeAndWait(connection)));
    await this.closeServer();
  }

  private listen(): Promise<number> {
    const server = createServer(
      routeRequests(this.options.routes, (error) =>
        this.logger.error({ event: 'route_failed', error: error instanceof Error ? error.message : String(error) }, 'an HTTP route failed'),
      ),
    );
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, () => {
        server.off('error', reject);
        server.on('error', (error) => this.logger.error({ event: 'http_server_error', error: error.message }, 'the HTTP server failed'));
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Opens one more connection, retrying until one says `hello` or the receiver halts. One attempt runs at a time. */
  private connect(firstDelayMs: number): Promise<'connected' | 'halted'> {
    this.connecting ??= this.connectUntilLive(firstDelayMs).finally(() => {
      this.connecting = undefined;
      this.refreshState();
    });
    return this.connecting;
  }

  private async connectUntilLive(firstDelayMs: number): Promise<'connected' | 'halted'> {
    let delayMs = firstDelayMs;
    for (;;) {
      if (delayMs > 0 && !(await this.pause(delayMs))) return 'halted';
      if (this.halted) return 'halted';
      const attempt = await this.attemptConnection();
      switch (attempt.kind) {
        case 'live':
          this.adopt(attempt.connection);
          return 'connected';
        case 'halted':
          return 'halted';
        case 'fatal':
          this.disable(attempt.code);
          return 'halted';
        case 'failed':
          this.failureStreak += 1;
          delayMs = attempt.retryAfterMs ?? this.backoff(this.failureStreak);
          this.noteReconnect('open_failed');
          this.logger.warn(
            { event: 'socket_open_failed', reason: attempt.reason, failuresInARow: this.failureStreak, retryInMs: delayMs },
            'could not open a Socket Mode connection; trying again',
          );
      }
    }
  }

  /** Waits unless halted first; false when halted. */
  private pause(ms: number): Promise<boolean> {
    if (this.halted) return Promise.resolve(false);
    this.waitingToRetry = true;
    this.refreshState();
    return new Promise((resolve) => {
      const finish = (completed: boolean) => {
        clearTimeout(timer);
        this.halt.signal.removeEventListener('abort', onHalt);
        this.waitingToRetry = false;
        resolve(completed);
      };
      const onHalt = () => finish(false);
      const timer = setTimeout(() => finish(true), ms);
      this.halt.signal.addEventListener('abort', onHalt, { once: true });
    });
  }

  private async attemptConnection(): Promise<Attempt> {
    this.attempting = true;
    this.refreshState();
    try {
      const answer = await requestSocketUrl({ apiUrl: this.apiUrl, appToken: this.options.appToken, timeoutMs: this.timing.openTimeoutMs, signal: this.halt.signal });
      if (this.halted) return { kind: 'halted' };
      if (answer.kind === 'fatal') return answer;
      if (answer.kind === 'retry') {
        return { kind: 'failed', reason: `apps.connections.open: ${answer.reason}`, ...(answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {}) };
      }
      const attempt = await this.openSocket(answer.url);
      // stop() and disabling close every socket, this one included: neither a failure to retry nor a connection to use.
      return this.halted ? { kind: 'halted' } : attempt;
    } finally {
      this.attempting = false;
    }
  }

  /** Opens the WebSocket and waits for its `hello`; a socket that ends or stays silent first is a failed attempt. */
  private openSocket(url: string): Promise<Attempt> {
    const socket = new WebSocket(url, { handshakeTimeout: this.timing.openTimeoutMs });
    const connection = new SocketConnection(this.nextConnectionId++, socket);
    this.connections.add(connection);
    return new Promise<Attempt>((resolve) => {
      const helloTimer = setTimeout(() => {
        connection.failure = 'no hello in time';
        connection.closing = true;
        socket.terminate();
      }, this.timing.openTimeoutMs);
      connection.settleAttempt = (attempt) => {
        clearTimeout(helloTimer);
        connection.settleAttempt = undefined;
        resolve(attempt.kind === 'failed' ? { ...attempt, reason: `WebSocket to ${describeSocketUrl(url)}: ${attempt.reason}` } : attempt);
      };
      socket.on('message', (data: RawData, isBinary: boolean) => this.onMessage(connection, data, isBinary));
      socket.on('pong', () => {
        clearTimeout(connection.pongTimer);
        connection.pongTimer = undefined;
      });
      socket.on('error', (error: Error) => {
        connection.failure ??= withoutTicket(error.message, url);
        this.logger.debug({ event: 'socket_error', connection: connection.id, error: withoutTicket(error.message, url) }, 'Socket Mode WebSocket error');
      });
      socket.on('close', (code: number) => this.onSocketClosed(connection, code));
    });
  }

  private onMessage(connection: SocketConnection, data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    const frame = parseFrame(rawText(data));
    switch (frame.kind) {
      case 'hello':
        this.onHello(connection, frame.numConnections);
        return;
      case 'disconnect':
        this.onDisconnectFrame(connection, frame.reason);
        return;
      case 'envelope':
        this.onEnvelope(connection, frame.envelope);
        return;
      case 'malformed':
        this.logger.warn({ event: 'socket_frame_malformed', connection: connection.id, problem: frame.problem, envelopeId: frame.envelopeId }, 'ignored a Socket Mode frame');
        // Acked anyway: left unacked, Slack would retry it or show the person an error after 3 seconds.
        if (frame.envelopeId) this.sendAck(connection, frame.envelopeId, 'other', undefined);
    }
  }

  private onHello(connection: SocketConnection, numConnections: number | undefined): void {
    if (connection.helloAt !== undefined) return;
    connection.helloAt = Date.now();
    this.lastHelloAt = connection.helloAt;
    this.startHeartbeat(connection);
    this.logger.info({ event: 'socket_connected', connection: connection.id, numConnections }, 'Socket Mode connection is live');
    connection.settleAttempt?.({ kind: 'live', connection });
  }

  /** A new connection is live: the ones it replaces close once their envelopes are acked. */
  private adopt(connection: SocketConnection): void {
    for (const other of this.connections) {
      if (other !== connection && other.replaced) this.retire(other);
    }
    this.refreshState();
  }

  private onDisconnectFrame(connection: SocketConnection, reason: string): void {
    if (reason === 'link_disabled') {
      this.disable('link_disabled');
      return;
    }
    this.forgiveFailuresIfStable();
    if (reason === 'too_many_websockets') {
      this.logger.warn({ event: 'socket_disconnect_requested', connection: connection.id, reason }, 'Slack refused a connection: too many connections for this app');
      connection.failure = 'too_many_websockets';
      this.closeNow(connection);
      // Before its hello the socket belongs to a connection attempt, which backs off by itself.
      if (connection.helloAt === undefined || this.anyLive()) return;
      this.noteReconnect('too_many_websockets');
      void this.connect(this.backoff(++this.failureStreak));
      return;
    }
    // `warning`, `refresh_requested` and anything unknown: the socket still works until Slack closes it.
    this.logger.info({ event: 'socket_disconnect_requested', connection: connection.id, reason }, 'Slack will close a Socket Mode connection: opening the next one first');
    connection.replaced = true;
    this.noteReconnect(reason === 'warning' ? 'warning' : 'refresh_requested');
    void this.connect(0);
  }

  private onSocketClosed(connection: SocketConnection, code: number): void {
    this.connections.delete(connection);
    connection.stopTimers();
    connection.settleAttempt?.({ kind: 'failed', reason: connection.failure ?? `closed before hello (code ${code})` });
    if (this.halted || connection.closing || connection.helloAt === undefined) {
      this.refreshState();
      return;
    }
    if (connection.replaced) {
      // Slack closed it as announced; its replacement is being opened, or is live already.
      this.logger.info({ event: 'socket_closed', connection: connection.id, code }, 'Slack closed a replaced Socket Mode connection');
      this.refreshState();
      if (!this.anyLive()) void this.connect(0);
      return;
    }
    this.logger.warn({ event: 'socket_dropped', connection: connection.id, code, liveConnections: this.liveCount() }, 'a Socket Mode connection dropped without notice');
    this.noteReconnect('dropped');
    this.refreshState();
    if (this.anyLive()) return;
    this.forgiveFailuresIfStable();
    // The first drop is retried at once; drops in a row back off like failed attempts.
    const delayMs = this.failureStreak === 0 ? 0 : this.backoff(this.failureStreak);
    this.failureStreak += 1;
    void this.connect(delayMs);
  }

  private startHeartbeat(connection: SocketConnection): void {
    connection.pingTimer = setInterval(() => {
      if (connection.socket.readyState !== WebSocket.OPEN || connection.pongTimer || connection.suspect) return;
      connection.pongTimer = setTimeout(() => this.onPongTimeout(connection), this.timing.pongTimeoutMs);
      connection.socket.ping();
    }, this.timing.pingIntervalMs);
  }

  /** Half-open: nothing proves frames still get through. A replacement is opened; this one goes when it is live, or soon anyway. */
  private onPongTimeout(connection: SocketConnection): void {
    connection.pongTimer = undefined;
    if (connection.closing || this.halted) return;
    this.logger.warn({ event: 'socket_pong_timeout', connection: connection.id, pongTimeoutMs: this.timing.pongTimeoutMs }, 'a Socket Mode connection stopped answering pings; replacing it');
    connection.suspect = true;
    connection.replaced = true;
    this.forgiveFailuresIfStable();
    this.noteReconnect('pong_timeout');
    connection.closeTimer = setTimeout(() => this.closeNow(connection), this.timing.pongTimeoutMs);
    this.refreshState();
    void this.connect(0);
  }

  private onEnvelope(connection: SocketConnection, envelope: Envelope): void {
    const kind = requestKindOf(envelope);
    const ack = this.ackFor(connection, envelope.envelopeId, kind);
    this.logger.debug({ event: 'socket_envelope', connection: connection.id, envelopeId: envelope.envelopeId, kind }, 'Socket Mode envelope');
    const unhandled =
      (envelope.type === 'interactive' && !isHandledInteraction(this.options.handled, envelope.payload)) ||
      (envelope.type === 'events_api' && !isHandledEvent(this.options.handledEvents ?? [], envelope.payload));
    if (unhandled) {
      this.options.metrics?.request(kind, 'ignored');
      void ack(undefined);
      return;
    }
    void this.dispatch(envelope, kind, ack);
  }

  private async dispatch(envelope: Envelope, kind: RequestKind, ack: (response?: unknown) => Promise<void>): Promise<void> {
    try {
      if (!this.app) throw new Error('the receiver was never given the app');
      await this.app.processEvent({ body: envelope.payload, ack, retryNum: envelope.retryAttempt, retryReason: envelope.retryReason });
    } catch (error) {
      this.logger.error(
        { event: 'socket_dispatch_failed', envelopeId: envelope.envelopeId, kind, error: error instanceof Error ? error.message : String(error) },
        'Bolt could not process a Socket Mode envelope',
      );
    }
  }

  /** Bolt's `ack` for one envelope: once only, on the socket it came on. */
  private ackFor(connection: SocketConnection, envelopeId: string, kind: RequestKind): (response?: unknown) => Promise<void> {
    const receivedAt = performance.now();
    connection.unacked += 1;
    let acked = false;
    return async (response?: unknown) => {
      if (acked) {
        this.logger.warn({ event: 'socket_ack_repeated', envelopeId, kind }, 'ack() was called again for an envelope; ignored');
        return;
      }
      acked = true;
      connection.unacked -= 1;
      this.sendAck(connection, envelopeId, kind, response);
      this.options.metrics?.acked(kind, (performance.now() - receivedAt) / 1000);
      if (connection.closing && connection.unacked === 0) this.closeNow(connection);
    };
  }

  private sendAck(connection: SocketConnection, envelopeId: string, kind: RequestKind, response: unknown): void {
    const lost = (why: string) =>
      this.logger.warn(
        { event: 'socket_ack_lost', connection: connection.id, envelopeId, kind, why },
        'an ack could not be sent: the connection the envelope came on is gone, so Slack will show the person an error',
      );
    if (connection.socket.readyState !== WebSocket.OPEN) {
      lost('connection closed');
      return;
    }
    connection.socket.send(ackFrame(envelopeId, response), (error) => {
      if (error) lost(error.message);
    });
  }

  /** Closes a replaced connection once its envelopes are acked, or after the ack grace at most. */
  private retire(connection: SocketConnection): void {
    if (connection.closing) return;
    connection.closing = true;
    if (connection.unacked === 0) {
      this.closeNow(connection);
      return;
    }
    clearTimeout(connection.closeTimer);
    connection.closeTimer = setTimeout(() => this.closeNow(connection), this.timing.ackGraceMs);
  }

  private closeNow(connection: SocketConnection): void {
    connection.closing = true;
    connection.stopTimers();
    const { socket } = connection;
    if (socket.readyState === WebSocket.CLOSED) return;
    // A suspect socket may never answer a close handshake.
    if (connection.suspect || socket.readyState === WebSocket.CONNECTING) socket.terminate();
    else socket.close(1000);
  }

  private closeAndWait(connection: SocketConnection): Promise<void> {
    if (connection.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const giveUp = setTimeout(() => connection.socket.terminate(), 1_000);
      connection.socket.once('close', () => {
        clearTimeout(giveUp);
        resolve();
      });
      this.closeNow(connection);
    });
  }

  /** Nothing can work until someone changes the app's settings or token: say so, close everything, stop trying. */
  private disable(cause: SocketModeDisabledCause): void {
    if (this.disabledCause || this.stopped) return;
    this.disabledCause = cause;
    this.logger.error(
      { event: 'socket_mode_disabled', cause },
      cause === 'link_disabled' ? socketModeText.disabled() : socketModeText.tokenRejected(cause),
    );
    this.halt.abort();
    for (const connection of this.connections) this.closeNow(connection);
    this.refreshState();
  }

  private anyLive(): boolean {
    return this.liveCount() > 0;
  }

  private liveCount(): number {
    let count = 0;
    for (const connection of this.connections) if (connection.live) count += 1;
    return count;
  }

  /** A connection that lasted ends the run of failures, so the next trouble is retried at once again. */
  private forgiveFailuresIfStable(): void {
    if (this.lastHelloAt > 0 && Date.now() - this.lastHelloAt >= this.timing.stableAfterMs) this.failureStreak = 0;
  }

  private backoff(failuresInARow: number): number {
    const policy = { baseDelayMs: this.timing.initialBackoffMs, maxDelayMs: this.timing.maxBackoffMs, maxAttempts: Infinity, maxTotalMs: Infinity };
    return backoffDelay(failuresInARow, policy, this.options.random);
  }

  private noteReconnect(reason: SocketReconnectReason): void {
    this.options.metrics?.socketReconnect(reason);
    this.options.onReconnect?.(reason);
  }

  private computeState(): SocketModeState {
    if (this.stopped) return 'stopped';
    if (this.disabledCause) return 'disabled';
    if (this.anyLive()) return 'connected';
    return this.attempting && !this.waitingToRetry ? 'connecting' : 'disconnected';
  }

  private refreshState(): void {
    const next = this.computeState();
    if (next === this.currentState) return;
    this.currentState = next;
    this.logger.debug({ event: 'socket_mode_state', state: next, ...(next === 'disabled' ? { cause: this.disabledCause } : {}) }, `Socket Mode is ${next}`);
    this.options.metrics?.socketMode(next);
    try {
      this.options.onStateChange?.(next, this.disabledCause);
    } catch (error) {
      this.logger.error({ event: 'socket_state_listener_failed', error: error instanceof Error ? error.message : String(error) }, 'a Socket Mode state listener failed');
    }
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(new Uint8Array(data)).toString('utf8');
}

/** The timing options that were given; an explicit `undefined` must not erase a default. */
function definedOnly(options: Partial<SocketModeTiming>): Partial<SocketModeTiming> {
  const keys = Object.keys(DEFAULT_SOCKET_MODE_TIMING) as (keyof SocketModeTiming)[];
  return Object.fromEntries(keys.flatMap((key) => (options[key] !== undefined ? [[key, options[key]]] : [])));
}
