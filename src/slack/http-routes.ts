import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readiness } from '../health.js';

/** A route served beside Slack's endpoint, in HTTP and in Socket Mode alike (Bolt's CustomRoute shape). */
export interface HttpRoute {
  readonly path: string;
  readonly method: string[];
  handler(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * `GET /healthz`: liveness, 200 while the process answers at all (a supervisor restarts it otherwise).
 * `GET /readyz`: readiness, 200 only when the bot can take work; 503 with the reasons otherwise.
 * `GET /metrics`: Prometheus text format.
 */
export function operationalRoutes(readiness: Readiness, metrics: () => Promise<{ contentType: string; body: string }>): HttpRoute[] {
  return [
    { path: '/healthz', method: ['GET'], handler: (_req, res) => json(res, 200, { status: 'alive' }) },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => (readiness.ready ? json(res, 200, { status: 'ready' }) : json(res, 503, { status: 'not_ready', reasons: readiness.reasons })),
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: async (_req, res) => {
        const { contentType, body } = await metrics();
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(body);
      },
    },
  ];
}

/**
 * A request listener serving `routes` by method and path (a query string is allowed); 404 for anything else.
 * For receivers that own their HTTP server (Socket Mode), where Bolt's routing is not there to do it.
 */
export function routeRequests(routes: readonly HttpRoute[], onHandlerError: (error: unknown) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const route = routes.find((candidate) => candidate.path === path && candidate.method.some((allowed) => allowed.toUpperCase() === method));
    if (!route) {
      req.resume();
      res.writeHead(404).end();
      return;
    }
    Promise.resolve()
      .then(() => route.handler(req, res))
      .catch((error: unknown) => {
        onHandlerError(error);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  };
}
