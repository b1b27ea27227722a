import { request } from 'undici';

/** Slack answers within seconds; a hung connection must not hold a job forever. */
const TIMEOUT_MS = 30_000;

/**
 * A `fetch` for the Slack Web API client built on undici's request API. The client's default, Node's
 * WHATWG fetch, spent more CPU per call than the whole rest of a request (measured with `npm run bench`);
 * this keeps the client and its retries, and only swaps the transport. Anything but a plain string body
 * (file uploads) still goes through the standard fetch.
 */
export const lightFetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  if (init?.body !== undefined && init.body !== null && typeof init.body !== 'string') return fetch(input, init);
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const response = await request(url, {
    method: (init?.method ?? 'GET') as 'GET' | 'POST',
    headers: Object.fromEntries(new Headers(init?.headers).entries()),
    ...(typeof init?.body === 'string' ? { body: init.body } : {}),
    ...(init?.signal ? { signal: init.signal } : {}),
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  const text = await response.body.text();
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const minimal = {
    status: response.statusCode,
    statusText: '',
    ok: response.statusCode >= 200 && response.statusCode < 300,
    url,
    headers,
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
    arrayBuffer: async () => new TextEncoder().encode(text).buffer,
  };
  return minimal as unknown as Response;
}) as typeof fetch;
