import { createBot, type Bot } from './bot.js';
import { loadConfigOrExit, secretValues } from './config.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { installProcessGuards } from './process-guards.js';

/**
 * How long a shutdown gives calls already on their way to Kantata or Huddle; what is still queued stays in
 * the ledger for the next process. Supervisors wait 10 s before SIGKILL (Kubernetes, Docker), so this
 * leaves room to close cleanly.
 */
const DRAIN_MS = 8_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, secrets: secretValues(config) });
  installProcessGuards(logger, (code) => process.exit(code));

  let bot: Bot | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    // A repeated signal does not cut the drain short: Ctrl-C on `npm start` reaches node twice (from the
    // terminal and passed on by npm), and supervisors may repeat SIGTERM; the supervisor's SIGKILL is the hard stop.
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'stopping', signal }, 'stopping: taking no new requests, finishing calls already on their way');
    const { drained } = bot ? await bot.stop(DRAIN_MS) : { drained: true };
    logger.info({ event: 'stopped', drained }, drained ? 'stopped cleanly' : 'stopped with calls still unanswered: the next start reports them');
    logger.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    bot = await createBot(config, {
      logger,
      metrics: new Metrics({ defaultMetrics: true }),
      background: 'thread',
      onBackgroundDied: (reason) => {
        logger.fatal({ event: 'background_died', reason }, 'the background thread stopped: exiting so the process is restarted');
        logger.flush?.();
        process.exit(1);
      },
    });
    if (stopping) return;
    await bot.start();
  } catch (error) {
    logger.fatal({ event: 'start_failed', error: error instanceof Error ? error.message : String(error) }, 'could not start');
    logger.flush?.();
    process.exit(1);
  }
}

void main();
