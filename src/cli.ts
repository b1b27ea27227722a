import * as webApi from '@slack/web-api';
import { loadConfigOrExit, type Config } from './config.js';
import { doctorExitCode, formatReport, readManifestScopes, runDoctor } from './doctor.js';
import { createEngine } from './engine.js';
import { copyLedger } from './invitations/ledger/copy.js';
import { openLedger } from './invitations/ledger/open.js';
import { createLogger } from './logger.js';
import { cliText } from './messages.js';
import { pendingRequests, showRequest } from './operations.js';
import { lightFetch } from './slack/light-fetch.js';

/** Operator commands: `npm run cli -- doctor | show <ref> | pending | copy-to <url>` (`node dist/cli.js …`). */
async function main([command, argument]: string[]): Promise<number> {
  switch (command) {
    case 'doctor':
      return doctor();
    case 'show':
      return argument ? show(argument) : usage();
    case 'pending':
      return pending();
    case 'copy-to':
      return argument ? copyTo(argument) : usage();
    default:
      return usage();
  }
}

function usage(): number {
  console.error(cliText.usage());
  return 2;
}

/** The ledger needs only storage settings: no service is required to look at it. */
function storageConfig(): Config {
  return loadConfigOrExit(undefined, { serviceRequired: false });
}

async function show(ref: string): Promise<number> {
  const ledger = await openLedger(storageConfig().storage);
  try {
    const report = await ledger.findRequest(ref.trim().toUpperCase());
    if (!report) {
      console.error(cliText.notFound(ref));
      return 1;
    }
    console.log(showRequest(report).join('\n'));
    return 0;
  } finally {
    await ledger.close();
  }
}

async function pending(): Promise<number> {
  const ledger = await openLedger(storageConfig().storage);
  try {
    const unfinished = await ledger.unfinished(500);
    console.log(unfinished.length === 0 ? cliText.nothingPending() : pendingRequests(unfinished, Date.now()).join('\n'));
    return 0;
  } finally {
    await ledger.close();
  }
}

async function copyTo(url: string): Promise<number> {
  const { storage } = storageConfig();
  if (storage.kind !== 'sqlite') {
    console.error(cliText.copyNeedsSqlite());
    return 2;
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    console.error(cliText.copyNeedsPostgres());
    return 2;
  }
  const copied = await copyLedger(storage, { kind: 'postgres', url });
  console.log(cliText.copied(copied.requests, copied.invitees, copied.links));
  return 0;
}

async function doctor(): Promise<number> {
  // No service yet is a warning in the report, not a config error: Slack is set up and checked first.
  const config = loadConfigOrExit(undefined, { serviceRequired: false });
  const engine = createEngine(config, {
    logger: createLogger({ level: 'silent', secrets: [] }),
    retryPolicy: { maxAttempts: 2, maxTotalMs: 10_000, baseDelayMs: 500, maxDelayMs: 2_000 },
  });
  const slack = new webApi.WebClient(config.slack.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 0 },
    fetch: lightFetch,
    logLevel: webApi.LogLevel.ERROR,
  });
  try {
    const results = await runDoctor(config, { engine, slack, requiredScopes: readManifestScopes() });
    console.log(formatReport(results));
    return doctorExitCode(results);
  } finally {
    await engine.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // Operators see the problem in a line, never a stack of library frames; secrets never reach errors here.
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
