import { Pool } from 'undici';
import type { ServiceName } from '../invitations/request.js';
import { runtimeSecrets, scrubSecrets } from '../secrets.js';
import { ConnectionError, NoAnswerError, type ProviderError } from './errors.js';

export const USER_AGENT = 'slack-invite-bot/0.1 (+https://github.com/slack-invite-bot)';

/** Error pages can be large; nothing we parse is more than a few kilobytes. */
const MAX_RESPONSE_BYTES = 256 * 1024;

/** Told the outcome of every call: its HTTP status, or how the transport failed; for metrics. */
export type UpstreamObserver = (call: { service: ServiceName; operation: string; status: number | 'connection' | 'no_answer'; seconds: number }) => void;

export interface UpstreamHttpOptions {
  readonly service: ServiceName;
  /** Base URL including any path prefix, e.g. https://api.mavenlink.com/api/v1 */
  readonly baseUrl: string;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly connections?: number;
  /** Credentials that must not come back to us inside a response (an error page echoing a token). */
  readonly secrets?: readonly string[];
  readonly observe?: UpstreamObserver;
}

export interface UpstreamRequest {
  /** What the call is for, in one word (`invite`, `workspaces`, `token`…): a metrics label, never data. */
  readonly operation: string;
  readonly method: 'GET' | 'POST';
  /** Path below the base URL, starting with `/`; already encoded. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** Connection failures that happen before a single byte of the request is written. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * One keep-alive pool per upstream origin. It turns transport failures into the shared error hierarchy,
 * telling apart "never sent" (safe to retry) from "sent, no answer" (never retried: it may have worked).
 */
export class UpstreamHttp {
  private readonly pool: Pool;
  private readonly pathPrefix: string;

  constructor(private readonly options: UpstreamHttpOptions) {
    const url = new URL(options.baseUrl);
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 8,
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.responseTimeoutMs,
      bodyTimeout: options.responseTimeoutMs,
      // Shorter than common server idle timeouts, so we rarely write to a socket the server just closed.
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 30_000,
    });
  }

  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const startedAt = performance.now();
    const observe = (status: number | 'connection' | 'no_answer') =>
      this.options.observe?.({ service: this.options.service, operation: request.operation, status, seconds: (performance.now() - startedAt) / 1000 });
    try {
      const response = await this.pool.request({
        method: request.method,
        path: this.pathPrefix + request.path,
        headers: { 'user-agent': USER_AGENT, ...request.headers },
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
      // A service may echo a credential back: the configured ones and those granted while running.
      const body = scrubSecrets(await readLimited(response.body), [...(this.options.secrets ?? []), ...runtimeSecrets.values()]);
      observe(response.statusCode);
      return { status: response.statusCode, headers: flattenHeaders(response.headers), body };
    } catch (error) {
      const failure = this.transportError(error);
      observe(failure.kind === 'connection' ? 'connection' : 'no_answer');
      throw failure;
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private transportError(error: unknown): ProviderError {
    const code = errorCode(error);
    const { service, connectTimeoutMs, responseTimeoutMs } = this.options;
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new ConnectionError(service, `no connection within ${seconds(connectTimeoutMs)}`, error);
    }
    if (code && NOT_SENT_CODES.has(code)) return new ConnectionError(service, describeCode(code), error);
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return new NoAnswerError(service, `no answer within ${seconds(responseTimeoutMs)}`, error);
    }
    return new NoAnswerError(service, 'the connection closed before an answer came', error);
  }
}

function errorCode(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Happy-eyeballs connects fail with an AggregateError of one error per address tried.
  if (Array.isArray(errors)) return errorCode(errors[0]);
  return undefined;
}

function describeCode(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    default:
      return 'network unreachable';
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

export function headerValue(response: UpstreamResponse, name: string): string | undefined {
  return response.headers[name.toLowerCase()];
}

/** JSON.parse that answers undefined instead of throwing: bodies are validated with zod afterwards. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
