import { SendAborted, type Clock, type Pacer } from './retry.js';

export interface AdaptivePacerOptions {
  readonly clock: Clock;
  readonly initialRatePerSecond: number;
  readonly minRatePerSecond: number;
  readonly maxRatePerSecond: number;
  readonly maxInFlight: number;
  /** After this long without a request the learned rate is forgotten and probing starts again. */
  readonly idleResetMs: number;
}

export const DEFAULT_PACER_OPTIONS: Omit<AdaptivePacerOptions, 'clock'> = {
  initialRatePerSecond: 10,
  minRatePerSecond: 0.2,
  maxRatePerSecond: 200,
  maxInFlight: 8,
  idleResetMs: 60_000,
};

const SLOW_START_GROWTH = 1.25;
/** After a 429: resume at this share of the throughput that succeeded in the last second. */
const CUT_TO_OBSERVED = 0.95;
/** Climb back quickly to this share of the last known limit... */
const PLATEAU = 0.98;
const RECOVERY_STEP = 0.2;
/** ...then probe above it by 0.01 req/s per success (1% a second at any rate), doubling every quiet 5 s. */
const PROBE_STEP = 0.01;
const PROBE_DOUBLING_MS = 5_000;
const WINDOW_MS = 1000;

/**
 * Paces requests to a service whose rate limit is unpublished (Kantata OX), in the manner of TCP's
 * congestion control: grows quickly until the first 429; then resumes just under the throughput that
 * actually succeeded in the last second, climbs back to just under that known limit, and probes above it
 * slowly (faster the longer no 429 comes, in case the limit was raised). A 429 costs one slot and the
 * invitee is re-queued by the retry loop, so nobody is lost or sent twice.
 */
export class AdaptivePacer implements Pacer {
  private ratePerSecond: number;
  private slowStart = true;
  private nextStartAt = 0;
  private pausedUntil = 0;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  /** The throughput that met the last 429: the best estimate of the limit. */
  private knownLimit = Number.POSITIVE_INFINITY;
  private lastActivityAt = Number.NEGATIVE_INFINITY;
  private recentSuccesses: number[] = [];
  private inFlight = 0;
  private readonly waitingForSlot: (() => void)[] = [];

  constructor(private readonly options: AdaptivePacerOptions) {
    this.ratePerSecond = options.initialRatePerSecond;
  }

  get currentRatePerSecond(): number {
    return this.ratePerSecond;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    await this.takeInFlightSlot(signal);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.lastActivityAt = this.options.clock.now();
      this.releaseInFlightSlot();
    };
    const { clock } = this.options;
    const now = clock.now();
    this.forgetIfIdle(now);
    const startAt = Math.max(now, this.nextStartAt, this.pausedUntil);
    this.nextStartAt = startAt + 1000 / this.ratePerSecond;
    try {
      if (startAt > now) await clock.sleep(startAt - now, signal);
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  onSuccess(): void {
    const now = this.options.clock.now();
    this.recentSuccesses.push(now);
    this.trimWindow(now);
    this.ratePerSecond = Math.min(this.options.maxRatePerSecond, this.grown(now));
  }

  onThrottled(retryAfterMs?: number): void {
    const now = this.options.clock.now();
    if (retryAfterMs !== undefined) this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
    // Several requests already in flight will all come back 429 for one overshoot: cut once per window.
    if (now - this.lastCutAt < WINDOW_MS) return;
    this.lastCutAt = now;
    this.slowStart = false;
    this.trimWindow(now);
    // With a sliding-window limit, the successes of the last second are the limit itself.
    const observedRate = (this.recentSuccesses.length * 1000) / WINDOW_MS;
    this.knownLimit = observedRate > 0 ? Math.min(this.ratePerSecond, observedRate) : this.ratePerSecond / 2;
    this.ratePerSecond = Math.max(this.options.minRatePerSecond, this.knownLimit * CUT_TO_OBSERVED);
    this.nextStartAt = Math.max(this.nextStartAt, now + 1000 / this.ratePerSecond);
  }

  private grown(now: number): number {
    if (this.slowStart) return this.ratePerSecond * SLOW_START_GROWTH;
    const plateau = this.knownLimit * PLATEAU;
    if (this.ratePerSecond < plateau) return this.ratePerSecond + (plateau - this.ratePerSecond) * RECOVERY_STEP + PROBE_STEP;
    const quietPeriods = Math.min(6, Math.floor((now - this.lastCutAt) / PROBE_DOUBLING_MS));
    return this.ratePerSecond + PROBE_STEP * 2 ** quietPeriods;
  }

  private forgetIfIdle(now: number): void {
    const onlyRequestRunning = this.inFlight === 1;
    if (!onlyRequestRunning || now - this.lastActivityAt < this.options.idleResetMs) return;
    this.lastActivityAt = now;
    this.ratePerSecond = Math.max(this.ratePerSecond, this.options.initialRatePerSecond);
    this.slowStart = true;
    this.knownLimit = Number.POSITIVE_INFINITY;
    this.recentSuccesses = [];
  }

  private trimWindow(now: number): void {
    const from = now - WINDOW_MS;
    let drop = 0;
    while (drop < this.recentSuccesses.length && (this.recentSuccesses[drop] ?? 0) < from) drop += 1;
    if (drop > 0) this.recentSuccesses.splice(0, drop);
  }

  private takeInFlightSlot(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new SendAborted());
    if (this.inFlight < this.options.maxInFlight) {
      this.inFlight += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = this.waitingForSlot.indexOf(waiter);
        if (index !== -1) this.waitingForSlot.splice(index, 1);
        reject(new SendAborted());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waitingForSlot.push(waiter);
    });
  }

  private releaseInFlightSlot(): void {
    const next = this.waitingForSlot.shift();
    if (next) next();
    else this.inFlight -= 1;
  }
}
