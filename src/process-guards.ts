/**
 * What the process does with an error nothing caught. Such an error is a bug: the state it leaves is
 * unknown (a half-sent invitation, a Socket Mode client that gave up reconnecting and will never say so),
 * so the bot logs it with its stack and exits non-zero, and the supervisor (systemd, Docker, Kubernetes)
 * starts a fresh process. Logging and carrying on would leave a process that looks alive but may not work.
 */

/** The part of the logger a crash needs; pino's logger has it. */
export interface CrashLogger {
  fatal(fields: object, message?: string): void;
  /** Writes out anything buffered; the process ends right after. */
  flush?(): void;
}

/** Where the two events come from: `process` in the bot, an EventEmitter in tests. */
export interface ProcessEvents {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (error: Error) => void): unknown;
  off(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  off(event: 'uncaughtException', listener: (error: Error) => void): unknown;
}

/** The exit code of a crash; a graceful stop exits 0. */
export const CRASH_EXIT_CODE = 1;

/** A rejection reason can be anything; an Error's stack names where it was made. */
function describe(reason: unknown): { error: string; stack?: string } {
  if (reason instanceof Error) return { error: reason.message, ...(reason.stack ? { stack: reason.stack } : {}) };
  return { error: typeof reason === 'string' ? reason : String(reason) };
}

/**
 * Logs an unhandled promise rejection (`"event":"unhandled_rejection"`) or an uncaught exception
 * (`"event":"uncaught_exception"`) at level fatal with its stack, flushes the log and calls `exit(1)`.
 * Returns a function that removes the handlers again (for tests).
 */
export function installProcessGuards(logger: CrashLogger, exit: (code: number) => void, events: ProcessEvents = process): () => void {
  const crash = (event: string, message: string, reason: unknown) => {
    try {
      logger.fatal({ event, ...describe(reason) }, message);
      logger.flush?.();
    } finally {
      // Even when the log cannot be written (stdout closed), the process must not carry on.
      exit(CRASH_EXIT_CODE);
    }
  };
  const onRejection = (reason: unknown) => crash('unhandled_rejection', 'unhandled promise rejection: exiting so the supervisor restarts the bot', reason);
  const onException = (error: Error) => crash('uncaught_exception', 'uncaught exception: exiting so the supervisor restarts the bot', error);
  events.on('unhandledRejection', onRejection);
  events.on('uncaughtException', onException);
  return () => {
    events.off('unhandledRejection', onRejection);
    events.off('uncaughtException', onException);
  };
}
