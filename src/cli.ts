import { webApi } from '@slack/bolt';
import { loadConfigOrExit } from './config.js';
import { formatReport, readManifestScopes, runDoctor } from './doctor.js';
import { createEngine } from './engine.js';
import { createLogger } from './logger.js';
import { lightFetch } from './slack/light-fetch.js';

/** Operator commands: `node dist/cli.js doctor`. */
async function main(command: string | undefined): Promise<number> {
  if (command !== 'doctor') {
    console.error('usage: node dist/cli.js doctor');
    return 2;
  }
  const config = loadConfigOrExit();
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
    return results.some((result) => result.status === 'failed') ? 1 : 0;
  } finally {
    await engine.close();
  }
}

process.exitCode = await main(process.argv[2]);
