import { loadConfigOrExit, secretValues } from './config.js';
import { createEngine } from './engine.js';
import { createLogger } from './logger.js';
import { createApp } from './slack/app.js';

/** How long a shutdown waits for invitations already taken on. */
const DRAIN_MS = 25_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, secrets: secretValues(config) });
  const engine = createEngine(config, { logger });
  const slack = createApp(config, { logger, invitations: engine.invitations, workspaces: engine.workspaces });

  process.on('unhandledRejection', (reason) => {
    logger.error({ event: 'unhandled_rejection', error: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled promise rejection');
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'stopping', signal, queued: slack.queue.size }, 'stopping: finishing invitations already taken');
    const { drained } = await slack.stop(DRAIN_MS);
    await engine.close();
    logger.info({ event: 'stopped', drained }, drained ? 'stopped cleanly' : 'stopped with invitations still running');
    logger.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    await slack.start();
  } catch (error) {
    logger.fatal({ event: 'start_failed', error: error instanceof Error ? error.message : String(error) }, 'could not start: check SLACK_BOT_TOKEN (and SLACK_APP_TOKEN in Socket Mode)');
    logger.flush?.();
    await engine.close();
    process.exit(1);
  }
}

void main();
