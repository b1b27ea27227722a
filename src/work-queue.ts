import type { Logger } from './logger.js';

export interface WorkQueueOptions {
  /** Jobs running at once. */
  readonly concurrency: number;
  /** Jobs waiting to run; beyond this, new work is refused so the caller can say so. */
  readonly maxPending: number;
  readonly logger: Logger;
}

type Job = () => Promise<void>;

/**
 * The slow half of every listener runs here, after Slack has been answered. Bounded, so a flood of
 * commands cannot exhaust memory, and drainable, so a shutdown lets started invitations finish.
 */
export class WorkQueue {
  private readonly pending: { name: string; job: Job }[] = [];
  private running = 0;
  private accepting = true;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly options: WorkQueueOptions) {}

  get size(): number {
    return this.pending.length + this.running;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  /** False when the queue is full or shutting down: the job was not taken and will never run. */
  tryEnqueue(name: string, job: Job): boolean {
    if (!this.accepting || this.pending.length >= this.options.maxPending) return false;
    this.pending.push({ name, job });
    this.pump();
    return true;
  }

  /** Stops taking work and waits for what was taken, up to `timeoutMs`. True when everything finished. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.accepting = false;
    if (this.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const finished = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return finished;
  }

  private pump(): void {
    while (this.running < this.options.concurrency) {
      const next = this.pending.shift();
      if (!next) break;
      this.running += 1;
      // Start on the next turn of the event loop, so the ack that queued this job is written first.
      void new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => next.job())
        .catch((error: unknown) => {
          this.options.logger.error(
            { event: 'job_crashed', job: next.name, error: error instanceof Error ? error.stack : String(error) },
            'background job failed',
          );
        })
        .finally(() => {
          this.running -= 1;
          this.pump();
          if (this.size === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
        });
    }
  }
}
