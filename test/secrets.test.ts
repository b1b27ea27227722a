import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, secretValues } from '../src/config.js';
import { createEngine } from '../src/engine.js';
import { SQLITE_FILE } from '../src/invitations/ledger/open.js';
import type { InvitationRequest } from '../src/invitations/request.js';
import { failureText } from '../src/messages.js';
import { ManualClock } from './fakes/clock.js';
import { FakeHuddle, huddleError } from './fakes/fake-huddle.js';
import { FakeKantata, kantataError } from './fakes/fake-kantata.js';
import { recordingLogger } from './fakes/recording-logger.js';
import { SLACK_TEST_ENV } from './fakes/env.js';
import { sendThrough } from './fakes/send-through.js';
import { sqliteStore } from './fakes/stores.js';

/** Recent writes sit in SQLite's write-ahead log until a checkpoint: read it too. */
function readWal(dataDir: string): string {
  const wal = join(dataDir, `${SQLITE_FILE}-wal`);
  return existsSync(wal) ? readFileSync(wal).toString('latin1') : '';
}

const KANTATA_TOKEN = 'kt-secret-4c1d9e';
const CLIENT_SECRET = 'hc-secret-77aa01';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Fake Kantata and Huddle (client-credentials) and a configuration that uses every kind of secret. */
async function setup() {
  const kantata = await FakeKantata.start({ token: KANTATA_TOKEN });
  const huddle = await FakeHuddle.start({ clients: { bot: CLIENT_SECRET } });
  closers.push(() => kantata.close(), () => huddle.close());
  const config = parseConfig({
    ...SLACK_TEST_ENV,
    KANTATA_API_TOKEN: KANTATA_TOKEN,
    KANTATA_API_URL: kantata.apiUrl,
    HUDDLE_CLIENT_ID: 'bot',
    HUDDLE_CLIENT_SECRET: CLIENT_SECRET,
    HUDDLE_TOKEN_URL: huddle.tokenUrl,
    HUDDLE_API_URL: huddle.apiUrl,
  });
  return { kantata, huddle, config };
}

describe('secrets', () => {
  it('never appear in log lines, error texts or outcome texts, even when a service echoes them', async () => {
    const { kantata, huddle, config } = await setup();
    const secrets = secretValues(config);
    expect(secrets).toEqual([SLACK_TEST_ENV.SLACK_BOT_TOKEN, SLACK_TEST_ENV.SLACK_SIGNING_SECRET, KANTATA_TOKEN, CLIENT_SECRET]);
    const log = recordingLogger(secrets);
    const engine = createEngine(config, {
      logger: log.logger,
      clock: new ManualClock(),
      retryPolicy: { maxAttempts: 2, maxTotalMs: 1_000, baseDelayMs: 1, maxDelayMs: 1 },
    });
    closers.push(() => engine.close());

    kantata.server.respondNextTo(
      /\/invite/,
      kantataError(401, 'oauth', `Invalid OAuth 2 Request: token ${KANTATA_TOKEN} was revoked`),
      kantataError(503, 'system', `backend said Bearer ${KANTATA_TOKEN}`),
      kantataError(503, 'system', `backend said Bearer ${KANTATA_TOKEN}`),
    );
    huddle.server.respondNext(
      { status: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'invalid_client', error_description: `bad secret ${CLIENT_SECRET}` }) },
    );
    const requestedBy = { userId: 'U1' };
    const requests: InvitationRequest[] = [
      { service: 'kantata', workspaceId: '12345', role: 'maven', requestedBy, invitees: [{ email: 'a@acme.com', fullName: 'A' }] },
      { service: 'kantata', workspaceId: '12345', role: 'maven', requestedBy, invitees: [{ email: 'b@acme.com', fullName: 'B' }] },
      { service: 'huddle', workspaceId: '89178', requestedBy, invitees: [{ email: 'c@acme.com' }] },
    ];
    const store = sqliteStore();
    const ledger = await store.open();
    closers.push(async () => {
      await ledger.close();
      await store.drop();
    });
    const texts: string[] = [];
    for (const request of requests) {
      const result = await sendThrough(engine, ledger, request, log.logger);
      for (const outcome of result.outcomes) {
        expect(outcome.status).not.toBe('invited');
        if (outcome.status === 'failed' || outcome.status === 'unknown') texts.push(failureText(request.service, request.workspaceId, outcome), JSON.stringify(outcome));
      }
    }
    // The token granted for the client credentials is a secret too, known only once granted.
    const huddleRequest = (email: string): InvitationRequest => ({ service: 'huddle', workspaceId: '89178', requestedBy, invitees: [{ email }] });
    expect((await sendThrough(engine, ledger, huddleRequest('d@acme.com'), log.logger)).outcomes.map((outcome) => outcome.status)).toEqual(['invited']);
    const granted = huddle.issuedTokens.at(-1) ?? '';
    expect(granted).not.toBe('');
    huddle.server.respondNextTo(/invite/, huddleError(400, 1, `bad token ${granted} / Bearer ${granted}`));
    const echoed = huddleRequest('e@acme.com');
    for (const outcome of (await sendThrough(engine, ledger, echoed, log.logger)).outcomes) {
      if (outcome.status !== 'failed') throw new Error(`expected a failure, got ${outcome.status}`);
      texts.push(failureText('huddle', '89178', outcome), JSON.stringify(outcome));
    }
    expect(texts.at(-2)).toContain('bad token [redacted]');
    secrets.push(granted);

    expect(texts.join('\n')).toContain('[redacted]');
    expect(log.lines.length).toBeGreaterThanOrEqual(3);
    // What the services said is kept in the ledger too: scrubbed there as well.
    const database = readFileSync(join(store.env.DATA_DIR ?? '', SQLITE_FILE)).toString('latin1') + readWal(store.env.DATA_DIR ?? '');
    expect(database).toContain('[redacted]');
    for (const secret of secrets) {
      for (const line of [...log.lines, ...texts]) expect(line).not.toContain(secret);
      expect(database).not.toContain(secret);
    }
  });

  it('travel only in their own auth header (or, for the client secret, the token grant body)', async () => {
    const { kantata, huddle, config } = await setup();
    const engine = createEngine(config, { logger: recordingLogger().logger });
    const store = sqliteStore();
    const ledger = await store.open();
    closers.push(async () => {
      await engine.close();
      await ledger.close();
      await store.drop();
    });
    const requestedBy = { userId: 'U1' };
    await sendThrough(engine, ledger, { service: 'kantata', workspaceId: '12345', role: 'maven', requestedBy, invitees: [{ email: 'a@acme.com', fullName: 'A' }] });
    await sendThrough(engine, ledger, { service: 'huddle', workspaceId: '89178', requestedBy, invitees: [{ email: 'c@acme.com' }], message: 'hi' });
    for (const request of [...kantata.server.requests, ...huddle.server.requests]) {
      const { authorization, ...otherHeaders } = request.headers;
      const visible = JSON.stringify(otherHeaders) + (request.path === '/token' ? '' : request.body) + request.path;
      expect(visible).not.toContain(KANTATA_TOKEN);
      expect(visible).not.toContain(CLIENT_SECRET);
      if (request.path.startsWith('/api/v1')) expect(authorization).toBe(`Bearer ${KANTATA_TOKEN}`);
    }
    expect(huddle.tokenRequests).toHaveLength(1);
  });
});
