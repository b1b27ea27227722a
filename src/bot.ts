import type { Background, BackgroundTimings } from './background.js';
import { BackgroundThread } from './background-thread.js';
import type { Config } from './config.js';
import { createEngine, type Engine } from './engine.js';
import type { Coordination } from './invitations/ledger/coordination.js';
import type { LinkStore } from './identity/link-store.js';
import type { Ledger } from './invitations/ledger/ledger.js';
import { lockDataDirectory } from './invitations/ledger/sqlite-files.js';
import type { Logger } from './logger.js';
import { exposition, Metrics } from './metrics.js';
import { processOwnerId } from './process-identity.js';
import type { Clock, RetryPolicy } from './providers/retry.js';
import { createApp, type SlackApp } from './slack/app.js';
import type { PostToResponseUrl } from './slack/private-notices.js';
import { openReplayStore } from './slack/replay-store.js';
import type { SocketModeTiming } from './slack/socket-mode-receiver.js';

export interface BotOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /**
   * Where the ledger, sending and outcome delivery run: `thread`, a worker thread of their own
   * (production: nothing they do can slow an ack, and the ledger's writes never block this thread), or
   * `inline`, this thread (tests, which run TypeScript in one process).
   */
  readonly background: 'thread' | 'inline';
  /** Called when the background thread dies: the process can no longer send and should exit. */
  readonly onBackgroundDied?: (reason: string) => void;
  readonly retryPolicy?: RetryPolicy;
  readonly clock?: Clock;
  readonly slackRetries?: number;
  readonly timings?: BackgroundTimings;
  readonly postToResponseUrl?: PostToResponseUrl;
  readonly now?: () => number;
  /** Socket Mode backoff, ping and grace periods; tests shrink them. */
  readonly socketModeTiming?: Partial<SocketModeTiming>;
}

export interface Bot {
  readonly slack: SlackApp;
  readonly ledger: Ledger;
  /** This process's name in the ledger's leases. */
  readonly owner: string;
  start(): Promise<{ port?: number }>;
  /**
   * Stops taking requests from Slack, gives calls already on their way until `deadlineMs`, and leaves
   * everything still queued in the ledger for the next process (or another replica).
   */
  stop(deadlineMs: number): Promise<{ drained: boolean }>;
}

/** The slow half, wherever it runs, and the ledger as this thread reaches it. */
interface SlowHalf {
  readonly background: Background;
  readonly ledger: Ledger;
  readonly links: LinkStore;
  readonly snapshots: () => Promise<Awaited<ReturnType<Metrics['snapshot']>>[]>;
  /** True when this thread writes to the ledger itself, so the background must be told of new work. */
  readonly wakeOnRecord: boolean;
  close(): Promise<void>;
}

/**
 * The whole bot: the ledger, the sender and delivery (first, so that what a previous process left is taken
 * over before new requests come in), then the Slack app, whose listeners write to the ledger and wake the
 * sender.
 */
export async function createBot(config: Config, options: BotOptions): Promise<Bot> {
  const { logger } = options;
  const metrics = options.metrics ?? new Metrics();
  const owner = processOwnerId();
  const engine = createEngine(config, {
    logger,
    metrics,
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const slow = options.background === 'thread' ? await inThread(config, owner, metrics, options) : await inline(config, owner, metrics, engine, options);
  const replays = await openReplayStore(config.storage);
  const slack = createApp(config, {
    logger,
    ledger: slow.ledger,
    links: slow.links,
    engine,
    replays,
    // A request recorded through the background thread wakes it there, with no message back and forth.
    workRecorded: slow.wakeOnRecord ? () => slow.background.wake() : () => undefined,
    workspaces: engine.workspaces,
    metrics,
    exposition: async () => exposition(await slow.snapshots()),
    ...(options.postToResponseUrl ? { postToResponseUrl: options.postToResponseUrl } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.socketModeTiming ? { socketModeTiming: options.socketModeTiming } : {}),
  });

  return {
    slack,
    ledger: slow.ledger,
    owner,
    start: () => slack.start(),
    async stop(deadlineMs) {
      const startedAt = Date.now();
      await slack.stop();
      const result = await slow.background.stop(Math.max(0, deadlineMs - (Date.now() - startedAt)));
      await Promise.allSettled([engine.close(), replays.close(), slow.close()]);
      return result;
    },
  };
}

/**
 * Production: the slow half in a worker thread, which holds the ledger; this thread reaches it by message.
 * (A second PostgreSQL pool here for the ack path was measured and made acks no faster: see README.)
 */
async function inThread(config: Config, owner: string, metrics: Metrics, options: BotOptions): Promise<SlowHalf> {
  const releaseDataDir = config.storage.kind === 'sqlite' ? lockDataDirectory(config.storage.dataDir) : () => undefined;
  try {
    const thread = await BackgroundThread.start({ config, owner }, options.logger, options.onBackgroundDied ?? (() => undefined));
    return {
      background: thread,
      ledger: thread.ledger,
      links: thread.links,
      wakeOnRecord: false,
      snapshots: async () => Promise.all([metrics.snapshot(), thread.metricsSnapshot()]),
      close: async () => releaseDataDir(),
    };
  } catch (error) {
    releaseDataDir();
    throw error;
  }
}

/**
 * Tests: everything in this thread. The modules are loaded only here: in production they live in the
 * background thread, and loading them twice would cost memory for nothing.
 */
async function inline(config: Config, owner: string, metrics: Metrics, engine: Engine, options: BotOptions): Promise<SlowHalf> {
  const [{ openStores }, { coordinationFor }, { startBackground }] = await Promise.all([
    import('./stores.js'),
    import('./invitations/ledger/coordination.js'),
    import('./background.js'),
  ]);
  const { ledger, links } = await openStores(config.storage, { exclusive: true });
  const coordination: Coordination = await coordinationFor(config.storage, owner, options.logger);
  const background = await startBackground({
    config,
    logger: options.logger,
    metrics,
    ledger,
    links,
    engine,
    coordination,
    owner,
    ...(options.postToResponseUrl ? { postToResponseUrl: options.postToResponseUrl } : {}),
    ...(options.slackRetries !== undefined ? { slackRetries: options.slackRetries } : {}),
    ...(options.timings ? { timings: options.timings } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    background,
    ledger,
    links,
    wakeOnRecord: true,
    snapshots: async () => [await metrics.snapshot()],
    close: async () => {
      await coordination.close();
      await ledger.close();
    },
  };
}
