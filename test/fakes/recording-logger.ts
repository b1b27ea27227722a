import type { DestinationStream } from 'pino';
import { createLogger } from '../../src/logger.js';

/** The real logger (with its secret scrubbing) writing into memory, so tests can read every line. */
export function recordingLogger(secrets: readonly string[] = [], level: 'debug' | 'info' = 'debug') {
  const lines: string[] = [];
  const destination: DestinationStream = { write: (line: string) => void lines.push(line) };
  const logger = createLogger({ level, secrets, destination });
  return {
    logger,
    lines,
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
