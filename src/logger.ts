import { pino, type DestinationStream } from 'pino';
import type { LogLevel } from './config.js';
import { REDACTED, runtimeSecrets, scrubSecrets } from './secrets.js';

/** The little the domain needs from a logger; pino's Logger satisfies it, and so does a test recorder. */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Values that must never be written; every occurrence is replaced, wherever it hides in a line. */
  readonly secrets: readonly string[];
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): pino.Logger {
  return pino(
    {
      level: options.level,
      base: { app: 'slack-invite-bot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Headers carry credentials; never log them even if an error object drags them in.
      redact: { paths: ['*.headers.authorization', '*.authorization', 'headers.authorization'], censor: REDACTED },
      // People's decrypted tokens too, as this thread learns them (runtimeSecrets).
      hooks: { streamWrite: (line) => scrubSecrets(line, [...options.secrets, ...runtimeSecrets.values()]) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
