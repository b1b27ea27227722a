import { Worker } from 'node:worker_threads';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Background } from './background.js';
import type { Config } from './config.js';
import { LINK_STORE_METHODS, type LinkStore } from './identity/link-store.js';
import type { Ledger } from './invitations/ledger/ledger.js';
import { LEDGER_METHODS, StoreCalls, type StoreAnswer, type StoreCall } from './invitations/ledger/remote.js';
import type { Logger } from './logger.js';

export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** What the main thread tells the background thread. */
export type ToBackground =
  | { readonly type: 'wake' }
  | { readonly type: 'metrics'; readonly id: number }
  | { readonly type: 'store'; readonly call: StoreCall }
  | { readonly type: 'stop'; readonly deadlineMs: number };

/** What the background thread answers. */
export type FromBackground =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'metrics'; readonly id: number; readonly snapshot: MetricsSnapshot }
  | { readonly type: 'store'; readonly answer: StoreAnswer }
  | { readonly type: 'stopped'; readonly drained: boolean };

export interface BackgroundThreadInput {
  readonly config: Config;
  readonly owner: string;
}

/**
 * The sender, outcome delivery and the ledger itself in a worker thread of their own: upstream calls,
 * retries, Slack posts and every database write (with its fsync) happen off the thread that acks Slack.
 * The main thread reaches the ledger through `ledger`, a proxy that sends each call here.
 */
export class BackgroundThread implements Background {
  /** The ledger, held by the background thread; every call is a message to it. */
  readonly ledger: Ledger;
  /** People's linked accounts, on the same database, reached the same way. */
  readonly links: LinkStore;
  private nextMetricsId = 0;
  private readonly metricsWaiters = new Map<number, (snapshot: MetricsSnapshot) => void>();
  private stopping = false;
  private wakeQueued = false;

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
    storeKind: Config['storage']['kind'],
  ) {
    const calls = new StoreCalls((call) => this.post({ type: 'store', call }));
    // The ledger belongs to the background thread, which closes it.
    this.ledger = calls.proxy<Ledger>('ledger', LEDGER_METHODS, { kind: storeKind, close: async () => undefined });
    this.links = calls.proxy<LinkStore>('links', LINK_STORE_METHODS, { kind: storeKind, close: async () => undefined });
    worker.on('message', (message: FromBackground) => {
      if (message.type === 'store') calls.answer(message.answer);
      if (message.type !== 'metrics') return;
      this.metricsWaiters.get(message.id)?.(message.snapshot);
      this.metricsWaiters.delete(message.id);
    });
  }

  /** Starts the thread and waits until it took over what a previous process left; rejects if it cannot start. */
  static async start(input: BackgroundThreadInput, logger: Logger, onDied: (reason: string) => void): Promise<BackgroundThread> {
    const worker = new Worker(new URL('./background-worker.js', import.meta.url), {
      workerData: input,
      // Its own heap limits, like the main thread's: sending needs little memory.
      resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 4 },
    });
    const thread = new BackgroundThread(worker, logger, input.config.storage.kind);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromBackground) => {
        if (message.type === 'ready') resolve();
        if (message.type === 'failed') reject(new Error(message.error));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the background thread exited with ${code} while starting`)));
    });
    worker.on('error', (error) => logger.error({ event: 'background_thread_error', error: error.stack ?? error.message }, 'the background thread failed'));
    worker.on('exit', (code) => {
      if (!thread.stopping) onDied(`the background thread exited with code ${code}`);
    });
    return thread;
  }

  /** One message however many times it is called within a turn of the event loop. */
  wake(): void {
    if (this.wakeQueued) return;
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      this.post({ type: 'wake' });
    });
  }

  /** The thread's metrics, to merge into /metrics; empty if it does not answer within a second. */
  metricsSnapshot(): Promise<MetricsSnapshot> {
    const id = (this.nextMetricsId += 1);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.metricsWaiters.delete(id);
        resolve([]);
      }, 1_000);
      this.metricsWaiters.set(id, (snapshot) => {
        clearTimeout(timer);
        resolve(snapshot);
      });
      this.post({ type: 'metrics', id });
    });
  }

  async stop(deadlineMs: number): Promise<{ drained: boolean }> {
    this.stopping = true;
    const stopped = new Promise<{ drained: boolean }>((resolve) => {
      this.worker.on('message', (message: FromBackground) => {
        if (message.type === 'stopped') resolve({ drained: message.drained });
      });
      this.worker.once('exit', () => resolve({ drained: false }));
    });
    this.post({ type: 'stop', deadlineMs });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<{ drained: boolean }>((resolve) => {
      timer = setTimeout(() => resolve({ drained: false }), deadlineMs + 1_000);
    });
    const result = await Promise.race([stopped, late]);
    clearTimeout(timer);
    await this.worker.terminate();
    return result;
  }

  private post(message: ToBackground): void {
    try {
      this.worker.postMessage(message);
    } catch (error) {
      this.logger.warn({ event: 'background_message_failed', error: String(error) }, 'could not reach the background thread');
    }
  }
}
