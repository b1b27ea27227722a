import { Pool } from 'undici';
import type { Metrics } from '../metrics.js';
import type { SlackMessage } from './render.js';
import { parseJson } from '../providers/http.js';

/** A Slack Web API call that did not succeed, with a stable code: Slack's own error, or what went wrong on the way. */
export class SlackCallError extends Error {
  constructor(
    readonly method: string,
    /** Slack's `error` (`channel_not_found`, `ratelimited`…), or `http_<status>`, `timeout`, `network`, `unreadable`. */
    readonly code: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(`Slack ${method} failed: ${code}`);
    this.name = 'SlackCallError';
  }
}

/** What the bot reads of a Slack user. */
export interface SlackUser {
  readonly id: string;
  readonly team_id?: string;
  readonly deleted?: boolean;
  readonly is_bot?: boolean;
  readonly is_app_user?: boolean;
  readonly is_restricted?: boolean;
  readonly is_ultra_restricted?: boolean;
  readonly real_name?: string;
  readonly enterprise_user?: { readonly enterprise_id?: string };
  readonly profile?: { readonly email?: string; readonly real_name?: string; readonly display_name?: string };
}

/** The Slack calls made while someone waits (a permission check, a form, a private answer). */
export interface UrgentSlack {
  authTest(): Promise<{ team_id?: string; enterprise_id?: string }>;
  userInfo(userId: string): Promise<SlackUser | undefined>;
  usergroupMembers(usergroupId: string): Promise<string[]>;
  openView(triggerId: string, view: object): Promise<void>;
  /**
   * Replaces an open view. `hash` is the one the view had when the person acted on it: Slack refuses the
   * update (`hash_conflict`) when the view changed since, so an older answer never overwrites a newer one.
   */
  updateView(viewId: string, hash: string | undefined, view: object): Promise<void>;
  /** `views.publish`: someone is looking at the Home tab; a 429 fails at once and the next opening publishes again. */
  publishView(userId: string, view: object): Promise<void>;
  postEphemeral(channel: string, user: string, message: SlackMessage): Promise<void>;
  postMessage(channel: string, message: SlackMessage): Promise<void>;
}

export interface UrgentSlackOptions {
  readonly token: string;
  /** Web API base URL, ending in `/`. */
  readonly apiUrl?: string;
  /** Whatever happens, a call gives up while Slack's 3-second ack can still say so. */
  readonly timeoutMs?: number;
  readonly metrics?: Metrics;
}

const SLACK_API_URL = 'https://slack.com/api/';

/** Arguments as every Web API method takes them (JSON bodies are not accepted by all): objects as JSON. */
function formEncoded(args: Record<string, unknown>): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined) continue;
    form.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return form.toString();
}

/**
 * The Slack calls someone is waiting on, made straight over undici: no retries, no queue, and a 429 is an
 * error at once (Slack's `Retry-After` is passed on), so no call ever waits behind another's rate limit or
 * behind an outcome post. @slack/web-api's client costs more CPU per call than the rest of a request
 * (measured with `npm run bench`); it stays for outcome posts, whose patient retries it does well.
 */
export function createUrgentSlack(options: UrgentSlackOptions): UrgentSlack & { close(): Promise<void> } {
  const base = new URL(options.apiUrl ?? SLACK_API_URL);
  const pool = new Pool(base.origin, { connections: 16, keepAliveTimeout: 4_000 });
  const timeoutMs = options.timeoutMs ?? 2_500;

  async function call<T extends Record<string, unknown>>(method: string, args: Record<string, unknown>): Promise<T> {
    let response;
    try {
      response = await pool.request({
        method: 'POST',
        path: `${base.pathname.replace(/\/?$/, '/')}${method}`,
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: formEncoded(args),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (error) {
      const code = (error as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT' ? 'timeout' : 'network';
      return fail(method, code);
    }
    const text = await response.body.text().catch(() => '');
    if (response.statusCode === 429) {
      const retryAfter = Number(response.headers['retry-after']);
      return fail(method, 'ratelimited', Number.isFinite(retryAfter) ? retryAfter : undefined);
    }
    if (response.statusCode !== 200) return fail(method, `http_${response.statusCode}`);
    const body = parseJson(text) as { ok?: unknown; error?: unknown } | null | undefined;
    if (typeof body !== 'object' || body === null) return fail(method, 'unreadable');
    if (body.ok !== true) return fail(method, typeof body.error === 'string' ? body.error : 'unknown_error');
    return body as T;
  }

  function fail(method: string, code: string, retryAfterSeconds?: number): never {
    options.metrics?.slackError(method, code);
    throw new SlackCallError(method, code, retryAfterSeconds);
  }

  return {
    authTest: () => call<{ team_id?: string; enterprise_id?: string }>('auth.test', {}),
    async userInfo(userId) {
      try {
        return (await call<{ user?: SlackUser }>('users.info', { user: userId })).user;
      } catch (error) {
        if (error instanceof SlackCallError && error.code === 'user_not_found') return undefined;
        throw error;
      }
    },
    usergroupMembers: async (usergroup) => (await call<{ users?: string[] }>('usergroups.users.list', { usergroup })).users ?? [],
    openView: async (triggerId, view) => void (await call('views.open', { trigger_id: triggerId, view })),
    updateView: async (viewId, hash, view) => void (await call('views.update', { view_id: viewId, hash, view })),
    publishView: async (userId, view) => void (await call('views.publish', { user_id: userId, view })),
    postEphemeral: async (channel, user, message) => void (await call('chat.postEphemeral', { channel, user, ...message })),
    postMessage: async (channel, message) => void (await call('chat.postMessage', { channel, ...message, unfurl_links: false, unfurl_media: false })),
    close: async () => {
      if (!pool.closed && !pool.destroyed) await pool.close();
    },
  };
}
