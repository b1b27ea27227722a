/**
 * The bot against local stand-ins for Kantata OX and Huddle: the same fakes the tests use, seeded with
 * named workspaces. Slack is the team's own (from .env), so the whole flow can be tried in Slack before
 * the bot is given real Kantata or Huddle credentials. Nobody is e-mailed: invitations end at the stand-ins,
 * which print what they received.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBot, type Bot } from '../src/bot.js';
import { parseConfig, secretValues, type Config, type Env } from '../src/config.js';
import { createLogger, type Logger } from '../src/logger.js';
import { parseJson } from '../src/providers/http.js';
import type { SlackApp } from '../src/slack/app.js';
import { FakeHuddle, parseInvitationRequest } from '../test/fakes/fake-huddle.js';
import { FakeKantata } from '../test/fakes/fake-kantata.js';
import type { RecordedRequest } from '../test/fakes/fake-server.js';
import { SANDBOX_HUDDLE_WORKSPACES, SANDBOX_KANTATA_WORKSPACES } from './seeds.js';

export interface Sandbox {
  readonly config: Config;
  readonly kantata: FakeKantata;
  readonly huddle: FakeHuddle;
  readonly app: SlackApp;
  readonly port?: number;
  close(): Promise<void>;
}

/**
 * Settings for the real services are dropped: the sandbox must never reach them. So is the real ledger:
 * sandbox invitations must not count against the duplicate guard or budgets of the real bot. Linking
 * people's own accounts needs the real login pages, so its settings go too: the sandbox sends as the stand-ins' shared accounts.
 */
const UPSTREAM_SETTING = /^(KANTATA_|HUDDLE_|DATABASE_URL$|DATA_DIR$|PUBLIC_URL$|TOKEN_ENCRYPTION_KEY$|INVITE_REQUIRE_LINKED_ACCOUNT$)/;

/** The team's settings with the upstream ones replaced by the stand-ins'; quieter logs unless asked. */
export function sandboxEnv(env: Env, stand: { kantataUrl: string; kantataToken: string; huddleUrl: string; huddleToken: string; dataDir: string }): Env {
  const kept = Object.fromEntries(Object.entries(env).filter(([name]) => !UPSTREAM_SETTING.test(name)));
  return {
    LOG_LEVEL: 'warn',
    ...kept,
    KANTATA_API_URL: stand.kantataUrl,
    KANTATA_API_TOKEN: stand.kantataToken,
    HUDDLE_API_URL: stand.huddleUrl,
    HUDDLE_API_TOKEN: stand.huddleToken,
    DATA_DIR: stand.dataDir,
  };
}

export function workspaceTable(): string[] {
  const rows = [
    ...Object.entries(SANDBOX_KANTATA_WORKSPACES).map(([id, w]) => ['kantata', id, w.title, w.archived ? 'archived: hidden' : w.canInvite ? '' : 'bot may not invite (403)']),
    ...Object.entries(SANDBOX_HUDDLE_WORKSPACES).map(([id, w]) => ['huddle', id, w.title, w.canInvite ? '' : 'bot may not invite (403)']),
  ];
  const widths = [7, 6, Math.max(...rows.map((row) => (row[2] ?? '').length))];
  return rows.map((row) => row.map((cell, i) => (i < 3 ? (cell ?? '').padEnd(widths[i] ?? 0) : cell)).join('  ').trimEnd());
}

/** One invitation request as the stand-in received it, in a few readable lines. */
export function describeInvitation(service: 'kantata' | 'huddle', request: RecordedRequest): string[] {
  const workspaceId = /\/workspaces\/([^/]+)\/invite/.exec(request.path)?.[1] ?? '?';
  const title = service === 'kantata' ? SANDBOX_KANTATA_WORKSPACES[workspaceId]?.title : SANDBOX_HUDDLE_WORKSPACES[workspaceId]?.title;
  const where = `${service === 'kantata' ? 'Kantata OX' : 'Huddle'} workspace ${workspaceId}${title ? ` "${title}"` : ''}`;
  const head = `→ ${where}: ${request.method} ${request.path} answered ${request.status ?? '?'}`;
  if (service === 'kantata') {
    const invitation = (parseJson(request.body) as { invitation?: Record<string, unknown> } | undefined)?.invitation;
    const who = invitation ? `${String(invitation.full_name)} <${String(invitation.email_address)}> as ${String(invitation.invitee_role)}` : '(no invitation in the body)';
    return [head, `    would invite ${who}`, `    body: ${request.body}`];
  }
  const parsed = parseInvitationRequest(request.body);
  const who = 'addresses' in parsed ? parsed.addresses.join(', ') : `(unreadable: ${parsed.error})`;
  return [head, `    would invite ${who}`, `    body: ${request.body.replace(/\s*\n\s*/g, ' ')}`];
}

/** Starts the stand-ins and the bot. `print` gets every line meant for the person running it. */
export async function startSandbox(env: Env, print: (line: string) => void, logger?: Logger): Promise<Sandbox> {
  const kantataToken = `sandbox-kantata-${randomBytes(8).toString('hex')}`;
  const huddleToken = `sandbox-huddle-${randomBytes(8).toString('hex')}`;
  const kantata = await FakeKantata.start({ token: kantataToken, workspaces: SANDBOX_KANTATA_WORKSPACES });
  const huddle = await FakeHuddle.start({ tokens: [huddleToken], workspaces: SANDBOX_HUDDLE_WORKSPACES });
  const dataDir = mkdtempSync(join(tmpdir(), 'invite-sandbox-'));
  let bot: Bot | undefined;
  const closeStandIns = async () => {
    await Promise.all([kantata.close(), huddle.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const config = parseConfig(sandboxEnv(env, { kantataUrl: kantata.apiUrl, kantataToken, huddleUrl: huddle.apiUrl, huddleToken, dataDir }));
    const log = logger ?? createLogger({ level: config.logLevel, secrets: secretValues(config) });
    kantata.server.onAnswered = (request) => {
      if (request.method === 'POST' && request.path.endsWith('/invite')) describeInvitation('kantata', request).forEach(print);
    };
    huddle.server.onAnswered = (request) => {
      if (request.method === 'POST' && request.path.endsWith('/invite')) describeInvitation('huddle', request).forEach(print);
    };
    bot = await createBot(config, { logger: log, background: 'inline' });
    const { port } = await bot.start();
    const started = bot;
    print('slack-invite-bot sandbox: invitations go to local stand-ins for Kantata OX and Huddle. Nobody is e-mailed.');
    print(config.slack.appToken ? 'Connected to Slack in Socket Mode.' : `Listening for Slack on port ${port ?? config.slack.port} (/slack/events).`);
    print('Workspaces:');
    for (const row of workspaceTable()) print(`  ${row}`);
    print('Try: /invite "Bob Smith" <bob@example.com> to kantata:"Acme Rollout" as buyer   or   /invite ann@example.com to "Board Pack"');
    print('Each invitation the bot sends is printed below. Ctrl-C stops the sandbox.');
    return {
      config,
      kantata,
      huddle,
      app: started.slack,
      ...(port !== undefined ? { port } : {}),
      async close() {
        await started.stop(5_000);
        await closeStandIns();
      },
    };
  } catch (error) {
    await bot?.stop(1_000);
    await closeStandIns();
    throw error;
  }
}
