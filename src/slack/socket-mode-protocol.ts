import { request } from 'undici';
import type { RequestKind } from '../metrics.js';
import { parseRetryAfter } from '../providers/retry.js';
import { parseJson } from '../providers/http.js';

/**
 * Slack's Socket Mode wire protocol, as this app's receiver needs it: asking `apps.connections.open` for a
 * one-time WebSocket URL, and reading the frames that arrive on the socket.
 */

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

/**
 * Answers of `apps.connections.open` that no retry can fix: the app-level token is wrong, gone or lacks
 * `connections:write`. Everything else may pass (an outage, a rate limit, a glitch) and is retried.
 */
export const FATAL_OPEN_ERRORS = ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission', 'missing_scope'] as const;
export type FatalOpenError = (typeof FATAL_OPEN_ERRORS)[number];

const isFatalOpenError = (code: string): code is FatalOpenError => (FATAL_OPEN_ERRORS as readonly string[]).includes(code);

/** What one call of `apps.connections.open` came to. `reason` is short and never holds the token or the URL. */
export type OpenAnswer =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'fatal'; readonly code: FatalOpenError }
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A transport failure in a few words: undici and Node put the useful part in `code` (ECONNREFUSED, UND_ERR_SOCKET). */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return 'request failed';
  if (error.name === 'TimeoutError') return 'no answer in time';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}

/**
 * POST `{apiUrl}apps.connections.open` with the app-level token. Never throws: every outcome is an answer,
 * so the caller's retry loop has a single path.
 */
export async function requestSocketUrl(options: { apiUrl: string; appToken: string; timeoutMs: number; signal: AbortSignal }): Promise<OpenAnswer> {
  try {
    const response = await request(`${options.apiUrl}apps.connections.open`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.appToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const text = await response.body.text();
    if (response.statusCode === 429) {
      const header = response.headers['retry-after'];
      const retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header, Date.now());
      return { kind: 'retry', reason: 'rate limited (HTTP 429)', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    }
    if (response.statusCode !== 200) return { kind: 'retry', reason: `HTTP ${response.statusCode}` };
    return readOpenAnswer(text);
  } catch (error) {
    return { kind: 'retry', reason: describeFailure(error) };
  }
}

function readOpenAnswer(text: string): OpenAnswer {
  const body = parseJson(text);
  if (!isRecord(body)) return { kind: 'retry', reason: 'unreadable answer' };
  if (body.ok === true && typeof body.url === 'string' && /^wss?:\/\//.test(body.url)) return { kind: 'url', url: body.url };
  const code = typeof body.error === 'string' ? body.error : 'no url in the answer';
  return isFatalOpenError(code) ? { kind: 'fatal', code } : { kind: 'retry', reason: code };
}

/** Where a WebSocket URL points, for logs: the one-time ticket in its query is as good as a credential. */
export function describeSocketUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'an unreadable URL';
  }
}

/** Removes a URL's query (the ticket) from an error text that might quote the URL. */
export function withoutTicket(text: string, url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? text : text.split(url.slice(query)).join('?…');
}

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export const DISCONNECT_REASONS = ['warning', 'refresh_requested', 'too_many_websockets', 'link_disabled'] as const;
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];

export interface Envelope {
  readonly envelopeId: string;
  readonly type: EnvelopeType;
  readonly payload: Record<string, unknown>;
  readonly retryAttempt?: number;
  readonly retryReason?: string;
}

/** One frame from Slack, read; `malformed` keeps the envelope id when there is one, so it can still be acked. */
export type Frame =
  | { readonly kind: 'hello'; readonly numConnections?: number }
  | { readonly kind: 'disconnect'; readonly reason: string }
  | { readonly kind: 'envelope'; readonly envelope: Envelope }
  | { readonly kind: 'malformed'; readonly problem: string; readonly envelopeId?: string };

const ENVELOPE_TYPES: readonly string[] = ['slash_commands', 'interactive', 'events_api'] satisfies EnvelopeType[];

export function parseFrame(data: string): Frame {
  const frame = parseJson(data);
  if (frame === undefined) return { kind: 'malformed', problem: 'not JSON' };
  if (!isRecord(frame)) return { kind: 'malformed', problem: 'not an object' };
  if (frame.type === 'hello') return { kind: 'hello', ...(typeof frame.num_connections === 'number' ? { numConnections: frame.num_connections } : {}) };
  if (frame.type === 'disconnect') return { kind: 'disconnect', reason: typeof frame.reason === 'string' ? frame.reason : 'unknown' };
  const envelopeId = typeof frame.envelope_id === 'string' && frame.envelope_id !== '' ? frame.envelope_id : undefined;
  const malformed = (problem: string): Frame => ({ kind: 'malformed', problem, ...(envelopeId ? { envelopeId } : {}) });
  if (typeof frame.type !== 'string' || !ENVELOPE_TYPES.includes(frame.type)) return malformed('unknown frame type');
  if (!envelopeId) return malformed('envelope without an id');
  const problem = payloadProblem(frame.type as EnvelopeType, frame.payload);
  if (problem || !isRecord(frame.payload)) return malformed(problem ?? 'payload is not an object');
  return {
    kind: 'envelope',
    envelope: {
      envelopeId,
      type: frame.type as EnvelopeType,
      payload: frame.payload,
      ...(typeof frame.retry_attempt === 'number' ? { retryAttempt: frame.retry_attempt } : {}),
      ...(typeof frame.retry_reason === 'string' && frame.retry_reason !== '' ? { retryReason: frame.retry_reason } : {}),
    },
  };
}

/**
 * Bolt trusts payload shapes (a view_submission without a view throws inside it, and the envelope would
 * never be acked), so the fields it reads first are checked here, as the HTTP receiver checks form bodies.
 */
function payloadProblem(type: EnvelopeType, payload: unknown): string | undefined {
  if (!isRecord(payload)) return 'payload is not an object';
  if (type === 'slash_commands') {
    const missing = ['command', 'user_id', 'channel_id', 'team_id'].filter((field) => typeof payload[field] !== 'string' || payload[field] === '');
    return missing.length > 0 ? `command without ${missing.join(', ')}` : undefined;
  }
  if (type === 'interactive') {
    if (typeof payload.type !== 'string') return 'interaction without a type';
    if (!isRecord(payload.user) || typeof payload.user.id !== 'string') return 'interaction without a user';
    if (payload.type.startsWith('view_') && (!isRecord(payload.view) || typeof payload.view.callback_id !== 'string')) return 'view interaction without a view';
    return undefined;
  }
  return typeof payload.type === 'string' ? undefined : 'event without a type';
}

/** The metrics label of an envelope: menu searches are timed apart from other interactions, as over HTTP. */
export function requestKindOf(envelope: Envelope): RequestKind {
  if (envelope.type === 'slash_commands') return 'command';
  if (envelope.type === 'events_api') return 'event';
  return envelope.payload.type === 'block_suggestion' ? 'options' : 'interaction';
}

/** The ack frame: `payload` only when the listener answered with something (a string is Bolt's shorthand for text). */
export function ackFrame(envelopeId: string, response: unknown): string {
  if (response === undefined || response === null || response === '') return JSON.stringify({ envelope_id: envelopeId });
  const payload = typeof response === 'string' ? { text: response } : response;
  return JSON.stringify({ envelope_id: envelopeId, payload });
}
