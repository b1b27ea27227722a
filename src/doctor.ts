import { readFileSync } from 'node:fs';
import type { webApi } from '@slack/bolt';
import type { Config } from './config.js';
import type { Engine } from './engine.js';
import { doctorText } from './messages.js';
import { slackErrorCode } from './slack/slack-errors.js';

export interface CheckResult {
  readonly part: 'Slack' | 'Kantata OX' | 'Huddle';
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly detail: string;
}

/** The bot scopes `manifest.yml` asks for. */
export function manifestScopes(manifest: string): string[] {
  const block = /bot:\n((?:[ \t]+- .+\n?)+)/.exec(manifest)?.[1] ?? '';
  return [...block.matchAll(/- (\S+)/g)].map((match) => match[1] as string);
}

export function readManifestScopes(): string[] {
  return manifestScopes(readFileSync(new URL('../manifest.yml', import.meta.url), 'utf8'));
}

async function checkSlack(client: webApi.WebClient, requiredScopes: readonly string[]): Promise<CheckResult> {
  try {
    const auth = await client.auth.test();
    const granted = new Set(auth.response_metadata?.scopes ?? []);
    const missing = requiredScopes.filter((scope) => !granted.has(scope));
    const bot = String(auth.user ?? auth.user_id ?? 'unknown');
    const team = String(auth.team ?? auth.team_id ?? 'unknown team');
    return missing.length === 0
      ? { part: 'Slack', status: 'ok', detail: doctorText.slackOk(bot, team, requiredScopes.length) }
      : { part: 'Slack', status: 'failed', detail: doctorText.slackMissingScopes(bot, team, missing) };
  } catch (error) {
    return { part: 'Slack', status: 'failed', detail: doctorText.slackRejected(slackErrorCode(error)) };
  }
}

async function check(part: CheckResult['part'], run: () => Promise<string>): Promise<CheckResult> {
  try {
    return { part, status: 'ok', detail: await run() };
  } catch (error) {
    return { part, status: 'failed', detail: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * `npm run doctor`: checks each configured part with a harmless call — Slack `auth.test` (and the granted
 * scopes against manifest.yml), Kantata `GET /users/me`, Huddle's workspace list (after a token grant).
 */
export async function runDoctor(
  config: Config,
  deps: { readonly engine: Engine; readonly slack: webApi.WebClient; readonly requiredScopes: readonly string[] },
): Promise<CheckResult[]> {
  const { kantata, huddle } = deps.engine;
  const huddleAuth = config.huddle?.auth.kind;
  return Promise.all([
    checkSlack(deps.slack, deps.requiredScopes),
    kantata
      ? check('Kantata OX', async () => {
          const me = await kantata.whoAmI();
          return doctorText.kantataOk(me.name, me.id);
        })
      : Promise.resolve<CheckResult>({ part: 'Kantata OX', status: 'skipped', detail: doctorText.notConfigured() }),
    huddle && huddleAuth
      ? check('Huddle', async () => doctorText.huddleOk((await huddle.listWorkspaces()).length, doctorText.huddleForms[huddleAuth]))
      : Promise.resolve<CheckResult>({ part: 'Huddle', status: 'skipped', detail: doctorText.notConfigured() }),
  ]);
}

export function formatReport(results: readonly CheckResult[]): string {
  const rows = [['part', 'status', 'detail'], ...results.map((r) => [r.part, r.status, r.detail])];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => (row[column] as string).length)));
  return rows.map((row) => `${(row[0] as string).padEnd(widths[0] as number)}  ${(row[1] as string).padEnd(widths[1] as number)}  ${row[2]}`).join('\n');
}
