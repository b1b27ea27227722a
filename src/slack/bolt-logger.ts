import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../logger.js';

/** Routes Bolt's own logging into ours, so it is structured and scrubbed of secrets like everything else. */
export function boltLogger(logger: Logger): BoltLogger {
  const line = (parts: unknown[]) => parts.map((part) => (part instanceof Error ? part.message : typeof part === 'string' ? part : JSON.stringify(part))).join(' ');
  let level = LogLevel.INFO;
  return {
    debug: (...parts) => logger.debug({ component: 'bolt' }, line(parts)),
    info: (...parts) => logger.info({ component: 'bolt' }, line(parts)),
    warn: (...parts) => logger.warn({ component: 'bolt' }, line(parts)),
    error: (...parts) => logger.error({ component: 'bolt' }, line(parts)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
