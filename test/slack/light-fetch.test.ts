import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lightFetch } from '../../src/slack/light-fetch.js';
import { FakeServer } from '../fakes/fake-server.js';

let server: FakeServer;
beforeAll(async () => {
  server = await new FakeServer((request) => ({
    status: request.path === '/limited' ? 429 : 200,
    headers: { 'content-type': 'application/json', 'retry-after': '3', 'x-echo': request.headers['content-type'] ?? '' },
    body: JSON.stringify({ ok: true, method: request.method, body: request.body }),
  })).start();
});
afterAll(async () => {
  await server.close();
});

describe('lightFetch', () => {
  it('posts a string body and answers like fetch', async () => {
    const response = await lightFetch(`${server.url}/api/chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'channel=C1&text=hi',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-echo')).toBe('application/x-www-form-urlencoded');
    expect(await response.json()).toEqual({ ok: true, method: 'POST', body: 'channel=C1&text=hi' });
  });

  it('keeps status and headers the client reads on 429', async () => {
    const response = await lightFetch(new URL(`${server.url}/limited`), { method: 'POST', body: '' });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
  });

  it('hands other bodies to the standard fetch', async () => {
    const form = new FormData();
    form.append('a', 'b');
    const response = await lightFetch(`${server.url}/upload`, { method: 'POST', body: form });
    const body = (await response.json()) as { body: string };
    expect(body.body).toContain('name="a"');
  });
});
