import { readFileSync } from 'node:fs';
import type * as webApi from '@slack/web-api';
import { enabledServices, type Config } from './config.js';
import type { Engine } from './engine.js';
import { doctorText } from './messages.js';
import { slackErrorCode } from './slack/slack-errors.js';

export interface CheckResult {
  readonly part: 'Slack' | 'Kantata OX' | 'Huddle' | 'Services';
  /** `warning`: something the operator should know that did not fail, so the exit code stays 0. */
  readonly status: 'ok' | 'warning' | 'failed' | 'skipped';
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
    const bot = String(auth.user ?? auth.user_id ?? 'unknown');
    const team = String(auth.team ?? auth.team_id ?? 'unknown team');
    // The Web API client fills in scopes only from the x-oauth-scopes header; without it nothing is known.
    const grantedScopes = auth.response_metadata?.scopes;
    if (grantedScopes === undefined) return { part: 'Slack', status: 'warning', detail: doctorText.slackScopesUnreadable(bot, team) };
    const granted = new Set(grantedScopes);
    const missing = requiredScopes.filter((scope) => !granted.has(scope));
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
 * With no service configured yet it still checks Slack, which README's set-up order configures first, and
 * adds a warning that the bot will not start like that.
 */
export async function runDoctor(
  config: Config,
  deps: { readonly engine: Engine; readonly slack: webApi.WebClient; readonly requiredScopes: readonly string[] },
): Promise<CheckResult[]> {
  const { kantata, huddle } = deps.engine;
  const huddleAuth = config.huddle?.auth?.kind;
  const checks = await Promise.all([
    checkSlack(deps.slack, deps.requiredScopes),
    kantata
      ? check('Kantata OX', async () => {
          const me = await kantata.whoAmI();
          return doctorText.kantataOk(me.name, me.id);
        })
      : Promise.resolve<CheckResult>({ part: 'Kantata OX', status: 'skipped', detail: config.identity?.kantata ? doctorText.linkingOnly() : doctorText.notConfigured() }),
    huddle && huddleAuth
      ? check('Huddle', async () => doctorText.huddleOk((await huddle.listWorkspaces()).length, doctorText.huddleForms[huddleAuth]))
      : Promise.resolve<CheckResult>({ part: 'Huddle', status: 'skipped', detail: config.identity?.huddle ? doctorText.linkingOnly() : doctorText.notConfigured() }),
  ]);
  const noService: CheckResult = { part: 'Services', status: 'warning', detail: doctorText.noServiceConfigured() };
  return enabledServices(config).length === 0 ? [...checks, noService] : checks;
}

/** 1 when a check failed; warnings and skipped parts leave the exit code at 0. */
export function doctorExitCode(results: readonly CheckResult[]): number {
  return results.some((result) => result.status === 'failed') ? 1 : 0;
}

export function formatReport(results: readonly CheckResult[]): string {
  const rows = [['part', 'status', 'detail'], ...results.map((r) => [r.part, r.status, r.detail])];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => (row[column] as string).length)));
  return rows.map((row) => `${(row[0] as string).padEnd(widths[0] as number)}  ${(row[1] as string).padEnd(widths[1] as number)}  ${row[2]}`).join('\n');
}
