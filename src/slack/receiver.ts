import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPReceiver, type HTTPReceiverOptions } from '@slack/bolt';

/** Slack's rule: refuse requests whose timestamp is more than five minutes from now, either way. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

export function isTimestampAcceptable(header: string | string[] | undefined, nowMs: number): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !/^\d{1,12}$/.test(value)) return false;
  return Math.abs(Number(value) - Math.floor(nowMs / 1000)) <= MAX_CLOCK_SKEW_SECONDS;
}

/**
 * Bolt's HTTP receiver, with the half of Slack's replay rule that Bolt leaves out: it rejects old
 * timestamps but lets future ones through. Signature checks stay Bolt's.
 */
export class StrictHTTPReceiver extends HTTPReceiver {
  constructor(options: HTTPReceiverOptions, now: () => number = Date.now) {
    super(options);
    const endpoints = new Set(Array.isArray(options.endpoints) ? options.endpoints : [options.endpoints ?? '/slack/events']);
    const boltListener = this.requestListener;
    this.requestListener = (req: IncomingMessage, res: ServerResponse) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method === 'POST' && endpoints.has(path) && !isTimestampAcceptable(req.headers['x-slack-request-timestamp'], now())) {
        req.resume();
        res.writeHead(401).end();
        return;
      }
      boltListener(req, res);
    };
  }
}
