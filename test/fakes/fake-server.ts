import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface RecordedRequest {
  /** The status the fake answered with, once it has. */
  status?: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly receivedAt: number;
}

export interface FakeResponse {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering (a slow service). */
  readonly delayMs?: number;
  /** Close the connection without answering, after the delay. */
  readonly hangUp?: boolean;
}

export type FakeHandler = (request: RecordedRequest) => FakeResponse | Promise<FakeResponse>;

/**
 * A real HTTP server on loopback for one fake upstream. Records every request, and answers from a script
 * of queued responses first (to force a 503, an HTML page, a slow answer) before the fake's own logic.
 */
export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  /** Told about every request once it has been answered (the sandbox prints what was sent). */
  onAnswered: ((request: RecordedRequest) => void) | undefined;
  /** Takes over `Upgrade:` requests (a WebSocket endpoint); without it they are refused by closing the socket. */
  onUpgrade: ((request: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;
  private readonly scripted: { readonly response: FakeResponse; readonly pathPattern?: RegExp }[] = [];
  private server: Server | undefined;
  private origin = '';

  constructor(private readonly handler: FakeHandler) {}

  get url(): string {
    return this.origin;
  }

  /** Queue responses that the next requests get, in order, whatever they contain. */
  respondNext(...responses: FakeResponse[]): void {
    this.scripted.push(...responses.map((response) => ({ response })));
  }

  /** The same, for the next requests to matching paths only (the invite call, not a lookup before it). */
  respondNextTo(pathPattern: RegExp, ...responses: FakeResponse[]): void {
    this.scripted.push(...responses.map((response) => ({ response, pathPattern })));
  }

  requestsTo(pathPattern: RegExp): RecordedRequest[] {
    return this.requests.filter((request) => pathPattern.test(request.path));
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt: Date.now(),
        };
        this.requests.push(recorded);
        void Promise.resolve()
          .then(() => this.answer(recorded))
          .then(
          async (response) => {
            if (response.delayMs) await new Promise((resolve) => setTimeout(resolve, response.delayMs));
            if (res.destroyed || req.socket.destroyed) return;
            if (response.hangUp) {
              req.socket.destroy();
              return;
            }
            recorded.status = response.status;
            res.writeHead(response.status, response.headers ?? {});
            res.end(response.body ?? '');
            this.onAnswered?.(recorded);
          },
          (error: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`fake server error: ${String(error)}`);
          },
        );
      });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.onUpgrade) this.onUpgrade(req, socket, head);
      else socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private answer(request: RecordedRequest): FakeResponse | Promise<FakeResponse> {
    const index = this.scripted.findIndex((entry) => !entry.pathPattern || entry.pathPattern.test(request.path));
    if (index < 0) return this.handler(request);
    const [entry] = this.scripted.splice(index, 1);
    return entry?.response ?? this.handler(request);
  }
}

export function htmlErrorPage(status: number, title = 'Bad Gateway'): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<!DOCTYPE html><html><head><title>${status} ${title}</title></head><body><h1>${title}</h1><p>nginx</p></body></html>`,
  };
}

/** At most `perSecond` accepted requests in any sliding second; rejected requests do not count. */
export class SlidingWindowLimiter {
  private accepted: number[] = [];

  constructor(private readonly perSecond: number) {}

  tryTake(now = Date.now()): boolean {
    this.accepted = this.accepted.filter((at) => at > now - 1000);
    if (this.accepted.length >= this.perSecond) return false;
    this.accepted.push(now);
    return true;
  }
}

export function bearerToken(request: RecordedRequest): string | undefined {
  const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
  return match?.[1];
}
