import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { HTTPModuleFunctions, HTTPReceiver, type HTTPReceiverOptions } from '@slack/bolt';
import type { Logger } from '../logger.js';
import type { Metrics, RequestKind } from '../metrics.js';
import { eventOf, isHandledEvent, isHandledInteraction, type HandledInteraction } from './interactions.js';

/** Slack's rule: refuse requests whose timestamp is more than five minutes from now, either way. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** Commands and modal submissions are small; nothing Slack sends this app comes near this. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export function isTimestampAcceptable(header: string | string[] | undefined, nowMs: number): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !/^\d{1,12}$/.test(value)) return false;
  return Math.abs(Number(value) - Math.floor(nowMs / 1000)) <= MAX_CLOCK_SKEW_SECONDS;
}

export function isSignatureValid(signingSecret: string, timestamp: string, rawBody: Buffer, signature: string): boolean {
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Remembers the signatures of recent requests: Slack never sends the same signed command or interaction
 * twice, so a repeat within the timestamp window is a replay. Kept in the ledger, so it holds across
 * restarts and replicas. Menu searches (`block_suggestion`) are the exception: their payload has no time
 * of its own, so the same text typed again within a second arrives byte for byte the same; the receiver
 * does not pass them through this guard.
 */
export interface ReplayGuard {
  /** True the first time a signature is seen; false for a repeat. */
  firstSighting(signature: string, nowMs: number): Promise<boolean>;
}

const FORM = 'application/x-www-form-urlencoded';
/** The Events API (`app_home_opened`, `url_verification`) is sent as JSON. */
const JSON_TYPE = /^application\/json(\s*;\s*charset=utf-8)?$/i;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

type BodyProblem = { status: number; reason: string };

/** What a verified body is, and what is wrong with its shape, if anything. */
export interface BodyShape {
  readonly kind: RequestKind;
  /** A menu search: it changes nothing, and Slack may send the same one twice (see ReplayGuard). */
  readonly suggestion: boolean;
  /** A well-formed interaction that no listener of this app answers. */
  readonly unhandled?: true;
  readonly problem?: BodyProblem;
}

/**
 * Reads a verified body: whether it has the shape of something this app handles (Bolt assumes well-formed
 * payloads: a `payload` of `null` throws inside it and the request hangs), whether any listener answers
 * it, and whether it is a menu search.
 */
export function inspectBody(rawBody: string, commands: readonly string[], handled: readonly HandledInteraction[] = []): BodyShape {
  const form = parseQuery(rawBody);
  if (form.ssl_check === '1') return { kind: 'other', suggestion: false };
  if (typeof form.payload === 'string') {
    const refused = (problem: BodyProblem): BodyShape => ({ kind: 'interaction', suggestion: false, problem });
    let payload: unknown;
    try {
      payload = JSON.parse(form.payload);
    } catch {
      return refused({ status: 400, reason: 'payload is not JSON' });
    }
    if (!isRecord(payload) || typeof payload.type !== 'string') return refused({ status: 400, reason: 'payload has no type' });
    if (!isRecord(payload.user) || typeof payload.user.id !== 'string') return refused({ status: 400, reason: 'payload has no user' });
    if (payload.type.startsWith('view_') && (!isRecord(payload.view) || typeof payload.view.callback_id !== 'string')) {
      return refused({ status: 400, reason: 'payload has no view' });
    }
    const suggestion = payload.type === 'block_suggestion';
    const kind: RequestKind = suggestion ? 'options' : 'interaction';
    return isHandledInteraction(handled, payload) ? { kind, suggestion } : { kind, suggestion, unhandled: true };
  }
  if (typeof form.command === 'string') {
    const refused = (problem: BodyProblem): BodyShape => ({ kind: 'command', suggestion: false, problem });
    if (!commands.includes(form.command)) return refused({ status: 404, reason: 'unknown command' });
    const missing = ['user_id', 'channel_id', 'team_id'].filter((field) => typeof form[field] !== 'string' || form[field] === '');
    return missing.length > 0 ? refused({ status: 400, reason: `command without ${missing.join(', ')}` }) : { kind: 'command', suggestion: false };
  }
  return { kind: 'other', suggestion: false, problem: { status: 400, reason: 'neither a command nor an interaction' } };
}

/** What a verified Events API body is: Slack's URL check, an event (handled by a listener or not), or neither. */
export type EventShape =
  | { readonly kind: 'url_verification'; readonly challenge: string }
  | { readonly kind: 'event'; readonly type: string; readonly id?: string; readonly handled: boolean }
  | { readonly kind: 'problem'; readonly problem: BodyProblem };

export function inspectEvent(rawBody: string, handledEvents: readonly string[]): EventShape {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return { kind: 'problem', problem: { status: 400, reason: 'event body is not JSON' } };
  }
  if (!isRecord(body)) return { kind: 'problem', problem: { status: 400, reason: 'event body is not an object' } };
  if (body.type === 'url_verification') {
    return typeof body.challenge === 'string' && body.challenge.length <= 200
      ? { kind: 'url_verification', challenge: body.challenge }
      : { kind: 'problem', problem: { status: 400, reason: 'url_verification without a challenge' } };
  }
  const event = eventOf(body);
  if (!event) return { kind: 'problem', problem: { status: 400, reason: 'neither an event nor a URL check' } };
  const handled = isHandledEvent(handledEvents, body);
  // Bolt reads these before any listener runs; a handled event without them would fail inside it.
  if (handled && (typeof body.team_id !== 'string' || !isRecord(body.event) || typeof body.event.user !== 'string')) {
    return { kind: 'problem', problem: { status: 400, reason: 'event without a team or user' } };
  }
  return { kind: 'event', type: event.type, ...(event.id ? { id: event.id } : {}), handled };
}

export interface StrictReceiverOptions {
  readonly signingSecret: string;
  readonly commands: readonly string[];
  /** Interactions some listener answers; every other signed one gets an empty 200 at once. */
  readonly handled: readonly HandledInteraction[];
  /** Event types some listener answers; every other signed event gets an empty 200 at once. */
  readonly handledEvents?: readonly string[];
  readonly replays: ReplayGuard;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => number;
}

/**
 * Bolt's HTTP receiver behind a stricter front door. Bolt rejects old timestamps but not future ones, does
 * not notice replays, waits three seconds before answering requests nobody handles, and trusts payload
 * shapes. Here each of those is answered at once (refused, or for a signed interaction nobody handles, an
 * empty 200); what passes is handed to Bolt, which checks the signature again and dispatches as usual.
 */
export class StrictHTTPReceiver extends HTTPReceiver {
  constructor(options: Omit<HTTPReceiverOptions, 'signingSecret'>, strict: StrictReceiverOptions) {
    // Every POST to the Slack endpoint is verified in `screen` below before Bolt sees it; checking the same
    // HMAC twice would cost every request for nothing.
    super({ ...options, signingSecret: strict.signingSecret, signatureVerification: false });
    const now = strict.now ?? Date.now;
    const endpoints = new Set(Array.isArray(options.endpoints) ? options.endpoints : [options.endpoints ?? '/slack/events']);
    const boltListener = this.requestListener;

    // A ledger that cannot be asked must not stop Slack's requests: nothing could be recorded by a replay then either.
    const firstSighting = (signature: string) =>
      strict.replays.firstSighting(signature, now()).catch((error: unknown) => {
        strict.logger.warn({ event: 'replay_check_failed', error: error instanceof Error ? error.message : String(error) }, 'could not check for a replay');
        return true;
      });

    const screen = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const receivedAt = performance.now();
      const refuse = (status: number, reason: string) => {
        strict.logger.info({ event: 'request_refused', status, reason }, 'refused a request to the Slack endpoint');
        strict.metrics?.request('other', 'rejected');
        req.resume();
        res.writeHead(status, { connection: 'close' }).end();
      };
      // Slack sends commands and interactions as exactly this type, and the Events API as JSON; nothing else.
      const contentType = req.headers['content-type'] ?? '';
      const isEvent = JSON_TYPE.test(contentType);
      if (contentType !== FORM && !isEvent) return refuse(415, 'content type');
      const timestamp = req.headers['x-slack-request-timestamp'];
      if (typeof timestamp !== 'string' || !isTimestampAcceptable(timestamp, now())) return refuse(401, 'timestamp');
      const signature = req.headers['x-slack-signature'];
      if (typeof signature !== 'string' || !/^v0=[0-9a-f]{64}$/.test(signature)) return refuse(401, 'signature format');
      let buffered: IncomingMessage & { rawBody: Buffer };
      try {
        buffered = (await HTTPModuleFunctions.bufferIncomingMessage(req, BODY_LIMIT_BYTES)) as IncomingMessage & { rawBody: Buffer };
      } catch (error) {
        const tooLarge = HTTPModuleFunctions.isRawBodyError(error) && (error.statusCode === 413 || error.type === 'entity.too.large');
        return refuse(tooLarge ? 413 : 400, tooLarge ? 'body too large' : 'unreadable body');
      }
      if (!isSignatureValid(strict.signingSecret, timestamp, buffered.rawBody, signature)) return refuse(401, 'signature');
      if (isEvent) return screenEvent(buffered, res, signature, receivedAt, refuse);
      const body = inspectBody(buffered.rawBody.toString('utf8'), strict.commands, strict.handled);
      if (!body.suggestion && !(await firstSighting(signature))) return refuse(401, 'replay');
      if (body.problem) return refuse(body.problem.status, body.problem.reason);
      res.once('finish', () => strict.metrics?.acked(body.kind, (performance.now() - receivedAt) / 1000));
      if (body.unhandled) {
        strict.metrics?.request(body.kind, 'ignored');
        res.writeHead(200).end();
        return;
      }
      boltListener(buffered, res);
    };

    /**
     * An Events API body, signed and timely. Slack retries an event it thinks was not answered (with
     * `x-slack-retry-num`, and a new timestamp and signature), so events are known by their `event_id`:
     * one already taken is answered 200 and never handled twice. Only events a listener answers reach Bolt.
     */
    const screenEvent = async (
      buffered: IncomingMessage & { rawBody: Buffer },
      res: ServerResponse,
      signature: string,
      receivedAt: number,
      refuse: (status: number, reason: string) => void,
    ): Promise<void> => {
      const event = inspectEvent(buffered.rawBody.toString('utf8'), strict.handledEvents ?? []);
      if (event.kind === 'problem') return refuse(event.problem.status, event.problem.reason);
      const firstTime = await firstSighting(event.kind === 'event' && event.id ? `event:${event.id}` : signature);
      if (!firstTime && event.kind === 'url_verification') return refuse(401, 'replay');
      res.once('finish', () => strict.metrics?.acked('event', (performance.now() - receivedAt) / 1000));
      if (event.kind === 'url_verification') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ challenge: event.challenge }));
        return;
      }
      if (!firstTime || !event.handled) {
        strict.metrics?.request('event', 'ignored');
        res.writeHead(200).end();
        return;
      }
      boltListener(buffered, res);
    };

    this.requestListener = (req: IncomingMessage, res: ServerResponse) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method !== 'POST' || !endpoints.has(path)) {
        boltListener(req, res);
        return;
      }
      screen(req, res).catch((error: unknown) => {
        strict.logger.error({ event: 'request_screening_failed', error: error instanceof Error ? error.message : String(error) }, 'could not screen a request');
        if (!res.headersSent) res.writeHead(400, { connection: 'close' }).end();
      });
    };
  }
}
