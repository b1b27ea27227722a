import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { HTTPModuleFunctions, HTTPReceiver, type HTTPReceiverOptions } from '@slack/bolt';
import type { Logger } from '../logger.js';

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
 * twice, so a repeat within the timestamp window is a replay. Menu searches (`block_suggestion`) are the
 * exception: their payload has no time of its own, so the same text typed again within a second arrives
 * byte for byte the same; the receiver does not pass them through this guard.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  /** True the first time a signature is seen; false for a repeat. */
  firstSighting(signature: string, nowMs: number): boolean {
    const forgetBefore = nowMs - 2 * MAX_CLOCK_SKEW_SECONDS * 1000;
    for (const [key, at] of this.seen) {
      if (at >= forgetBefore && this.seen.size < this.maxEntries) break;
      this.seen.delete(key);
    }
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, nowMs);
    return true;
  }
}

const FORM = 'application/x-www-form-urlencoded';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

type BodyProblem = { status: number; reason: string };

/** What a verified body is, and what is wrong with its shape, if anything. */
export interface BodyShape {
  /** A menu search: it changes nothing, and Slack may send the same one twice (see ReplayGuard). */
  readonly suggestion: boolean;
  readonly problem?: BodyProblem;
}

/**
 * Reads a verified body: whether it has the shape of something this app handles (Bolt assumes well-formed
 * payloads: a `payload` of `null` throws inside it and the request hangs), and whether it is a menu search.
 */
export function inspectBody(rawBody: string, commands: readonly string[]): BodyShape {
  const refused = (problem: BodyProblem): BodyShape => ({ suggestion: false, problem });
  const form = parseQuery(rawBody);
  if (form.ssl_check === '1') return { suggestion: false };
  if (typeof form.payload === 'string') {
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
    return { suggestion: payload.type === 'block_suggestion' };
  }
  if (typeof form.command === 'string') {
    if (!commands.includes(form.command)) return refused({ status: 404, reason: 'unknown command' });
    const missing = ['user_id', 'channel_id', 'team_id'].filter((field) => typeof form[field] !== 'string' || form[field] === '');
    return missing.length > 0 ? refused({ status: 400, reason: `command without ${missing.join(', ')}` }) : { suggestion: false };
  }
  return refused({ status: 400, reason: 'neither a command nor an interaction' });
}

/** The shape check alone: undefined for a body this app handles. */
export function bodyShapeProblem(rawBody: string, commands: readonly string[]): BodyProblem | undefined {
  return inspectBody(rawBody, commands).problem;
}

export interface StrictReceiverOptions {
  readonly signingSecret: string;
  readonly commands: readonly string[];
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Bolt's HTTP receiver behind a stricter front door. Bolt rejects old timestamps but not future ones, does
 * not notice replays, waits three seconds before answering requests nobody handles, and trusts payload
 * shapes. Here each of those is refused at once; what passes is handed to Bolt, which checks the
 * signature again and dispatches as usual.
 */
export class StrictHTTPReceiver extends HTTPReceiver {
  constructor(options: Omit<HTTPReceiverOptions, 'signingSecret'>, strict: StrictReceiverOptions) {
    super({ ...options, signingSecret: strict.signingSecret });
    const now = strict.now ?? Date.now;
    const endpoints = new Set(Array.isArray(options.endpoints) ? options.endpoints : [options.endpoints ?? '/slack/events']);
    const replays = new ReplayGuard();
    const boltListener = this.requestListener;

    const screen = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const refuse = (status: number, reason: string) => {
        strict.logger.info({ event: 'request_refused', status, reason }, 'refused a request to the Slack endpoint');
        req.resume();
        res.writeHead(status, { connection: 'close' }).end();
      };
      // Slack sends commands and interactions as exactly this type; this app handles nothing else.
      const contentType = req.headers['content-type'] ?? '';
      if (contentType !== FORM) return refuse(415, 'content type');
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
      const body = inspectBody(buffered.rawBody.toString('utf8'), strict.commands);
      if (!body.suggestion && !replays.firstSighting(signature, now())) return refuse(401, 'replay');
      if (body.problem) return refuse(body.problem.status, body.problem.reason);
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
