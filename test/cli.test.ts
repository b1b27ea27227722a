import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../src/invitations/ledger/ledger.js';
import { openLedger } from '../src/invitations/ledger/open.js';
import { SLACK_TEST_ENV } from './fakes/env.js';
import { postgresAvailable, postgresStore, sqliteStore, type TestStore } from './fakes/stores.js';

const root = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const withPostgres = await postgresAvailable();
// An empty working directory, so no developer's .env is read.
const cwd = mkdtempSync(join(tmpdir(), 'invite-cli-'));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'dist', 'cli.js'), ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...SLACK_TEST_ENV, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const T0 = Date.UTC(2026, 10, 20, 10, 42, 0);

/** A ledger with one finished request (one invited, one refused) and one still queued. */
async function seeded(store: TestStore): Promise<{ ledger: Ledger; done: string; waiting: string }> {
  const ledger = await store.open();
  cleanups.push(() => ledger.close());
  const guards = { budget: { limit: 100, windowMs: 600_000 }, duplicateWindowMs: 600_000 };
  const requestedBy = { userId: 'U1', teamId: 'T1', channelId: 'C1' };
  await ledger.record(
    {
      ref: 'RDONE22',
      source: 'command',
      channelId: 'C1',
      again: false,
      workspaceTitle: 'Acme Rollout',
      request: { service: 'kantata', workspaceId: '12345', role: 'buyer', requestedBy, invitees: [{ email: 'bob@acme.com', fullName: 'Bob Smith' }, { email: 'ann@acme.com', fullName: 'Ann Lee' }], message: 'Welcome' },
    },
    guards,
    T0,
  );
  const [work] = await ledger.claimInvitees({ service: 'kantata', owner: 'p1', now: T0, leaseMs: 30_000, limit: 10, wholeRequest: false });
  const [bob, ann] = work?.invitees ?? [];
  await ledger.settleInvitees(work!.request.id, [bob!.id], { state: 'invited', invitationId: '9001', attempts: 1 }, T0 + 100);
  await ledger.settleInvitees(work!.request.id, [ann!.id], { state: 'failed', error: { kind: 'invalid_request', httpStatus: 422, code: 'validation', serviceMessage: 'Email address is invalid' }, attempts: 1 }, T0 + 200);
  await ledger.record({ ref: 'RWAIT33', source: 'modal', channelId: 'C2', again: false, request: { service: 'huddle', workspaceId: '89178', requestedBy, invitees: [{ email: 'cy@acme.com' }] } }, guards, T0 + 1_000);
  return { ledger, done: 'RDONE22', waiting: 'RWAIT33' };
}

describe('npm run cli', () => {
  it('shows one request and each invitee with the upstream answer', async () => {
    const store = sqliteStore();
    cleanups.push(() => store.drop());
    await seeded(store);
    const result = await cli(['show', 'rdone22'], store.env);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('request RDONE22: accepted 2026-11-20 10:42:00 UTC from U1 in C1 (command)');
    expect(lines[1]).toBe('  Kantata OX workspace 12345 "Acme Rollout" as Client (buyer); personal message of 7 characters');
    expect(lines[3]).toBe('  invitees: 2 (1 invited, 1 failed)');
    expect(result.stdout).toMatch(/invited\s+1\s+bob@acme\.com\s+Bob Smith\s+invited \(invitation 9001\)/);
    expect(result.stdout).toMatch(/failed\s+1\s+ann@acme\.com\s+Ann Lee\s+Kantata OX refused the invitation \(HTTP 422, code validation\): "Email address is invalid"\./);
  });

  it('lists what is pending, and says so for an unknown reference', async () => {
    const store = sqliteStore();
    cleanups.push(() => store.drop());
    await seeded(store);
    const pending = await cli(['pending'], store.env);
    expect(pending.code).toBe(0);
    // The finished request is not delivered yet either: both are pending until Slack has been told.
    expect(pending.stdout).toMatch(/^ref\s+age\s+service\s+workspace\s+states\s+reported$/m);
    expect(pending.stdout).toMatch(/RWAIT33\s+\S+ h\s+huddle\s+89178\s+1 queued\s+not yet/);
    const unknown = await cli(['show', 'RNOPE99'], store.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No request RNOPE99 in the ledger');
    const usage = await cli([], store.env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: npm run cli -- <command>');
  });

  it.runIf(withPostgres)('copies the SQLite ledger into an empty PostgreSQL database, ids and all', async () => {
    const from = sqliteStore();
    const to = await postgresStore();
    cleanups.push(() => from.drop(), () => to.drop());
    const { ledger } = await seeded(from);
    await ledger.close();
    const result = await cli(['copy-to', to.env.DATABASE_URL ?? ''], from.env);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('Copied 2 requests and 3 invitees. Set DATABASE_URL to the new database and start the bot.');
    const copied = await openLedger({ kind: 'postgres', url: to.env.DATABASE_URL ?? '' });
    cleanups.push(() => copied.close());
    expect((await copied.findRequest('RDONE22'))?.invitees.map((invitee) => [invitee.email, invitee.state, invitee.error?.serviceMessage])).toEqual([
      ['bob@acme.com', 'invited', undefined],
      ['ann@acme.com', 'failed', 'Email address is invalid'],
    ]);
    // New rows after the copy get new ids.
    const next = await copied.record(
      { ref: 'RNEXT44', source: 'command', channelId: 'C1', again: false, request: { service: 'huddle', workspaceId: '1', requestedBy: { userId: 'U9' }, invitees: [{ email: 'z@acme.com' }] } },
      { budget: { limit: 10, windowMs: 1 }, duplicateWindowMs: 1 },
      Date.now(),
    );
    expect(next.kind).toBe('recorded');
    const again = await cli(['copy-to', to.env.DATABASE_URL ?? ''], from.env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('the target already holds requests');
  });
});
