import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/** What a Slack request became, as a label: a fixed vocabulary, never free text. */
export type RequestOutcome =
  | 'help'
  | 'accepted'
  | 'form_opened'
  | 'refused'
  | 'denied'
  | 'busy'
  | 'answered'
  | 'ignored'
  | 'rejected'
  | 'link_requested';

export type RequestKind = 'command' | 'interaction' | 'options' | 'event' | 'other';

export type SocketModeState = 'connecting' | 'connected' | 'disconnected' | 'disabled' | 'stopped';

const SOCKET_STATES: readonly SocketModeState[] = ['connecting', 'connected', 'disconnected', 'disabled', 'stopped'];

/** Slack's error codes and Web API method names are short identifiers; anything else is folded into one bucket. */
function identifier(value: string): string {
  return /^[a-z][a-z0-9_.]{0,63}$/i.test(value) ? value : 'other';
}

/**
 * The bot's Prometheus metrics, on a registry of its own (never prom-client's global one). Labels hold
 * only fixed vocabularies and identifiers: never an address, a name, a workspace title or a secret.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'kind' | 'outcome'>;
  private readonly ackSeconds: Histogram<'kind'>;
  private readonly invitations: Counter<'service' | 'outcome'>;
  private readonly upstreamSeconds: Histogram<'service' | 'operation' | 'status'>;
  private readonly slackErrors: Counter<'method' | 'code'>;
  private readonly queueDepth: Gauge<'state'>;
  private readonly socketState: Gauge<'state'>;
  private readonly socketReconnects: Counter<'reason'>;

  constructor(options: { readonly defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'slack_requests_total', help: 'Slack commands, interactions and events handled, by what they became', labelNames: ['kind', 'outcome'], registers });
    this.ackSeconds = new Histogram({
      name: 'slack_ack_seconds',
      help: 'Time from receiving a Slack request to acknowledging it',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
      registers,
    });
    this.invitations = new Counter({ name: 'invitations_total', help: 'Invitees that reached a final state, by service and outcome', labelNames: ['service', 'outcome'], registers });
    this.upstreamSeconds = new Histogram({
      name: 'upstream_request_seconds',
      help: 'Kantata OX and Huddle calls, by operation and HTTP status (or the transport failure)',
      labelNames: ['service', 'operation', 'status'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.slackErrors = new Counter({ name: 'slack_api_errors_total', help: 'Slack Web API calls that failed, by method and error code', labelNames: ['method', 'code'], registers });
    this.queueDepth = new Gauge({ name: 'invitation_queue_depth', help: 'Invitees not yet finished, by state', labelNames: ['state'], registers });
    this.socketState = new Gauge({ name: 'socket_mode_state', help: 'Socket Mode connection state (1 for the current state)', labelNames: ['state'], registers });
    this.socketReconnects = new Counter({ name: 'socket_mode_reconnects_total', help: 'Socket Mode connections opened again, by why', labelNames: ['reason'], registers });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  request(kind: RequestKind, outcome: RequestOutcome): void {
    this.requests.inc({ kind, outcome });
  }

  acked(kind: RequestKind, seconds: number): void {
    this.ackSeconds.observe({ kind }, seconds);
  }

  invitation(service: string, outcome: string): void {
    this.invitations.inc({ service: identifier(service), outcome: identifier(outcome) });
  }

  upstream(service: string, operation: string, status: number | string, seconds: number): void {
    this.upstreamSeconds.observe({ service: identifier(service), operation: identifier(operation), status: String(status) }, seconds);
  }

  slackError(method: string, code: string): void {
    this.slackErrors.inc({ method: identifier(method), code: identifier(code) });
  }

  setQueueDepth(depth: Readonly<Record<string, number>>): void {
    for (const [state, count] of Object.entries(depth)) this.queueDepth.set({ state: identifier(state) }, count);
  }

  socketMode(state: SocketModeState): void {
    for (const candidate of SOCKET_STATES) this.socketState.set({ state: candidate }, candidate === state ? 1 : 0);
  }

  socketReconnect(reason: string): void {
    this.socketReconnects.inc({ reason: identifier(reason) });
  }

  /** This registry's metrics as JSON, so another thread can merge them into one exposition. */
  snapshot(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    return this.registry.getMetricsAsJSON();
  }
}

/** One Prometheus text exposition from several registries' snapshots (the main thread's and the sender's). */
export async function exposition(snapshots: readonly MetricObjectWithValues<MetricValue<string>>[][]): Promise<{ contentType: string; body: string }> {
  const merged = AggregatorRegistry.aggregate(snapshots as MetricObjectWithValues<MetricValue<string>>[][]);
  return { contentType: merged.contentType, body: await merged.metrics() };
}
