import type { Clock, Pacer } from './retry.js';

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
  maxInFlight: 4,
  idleResetMs: 60_000,
};

/** Growth per success once the limit has been met: +0.2 req/s per success is about +20% per second at any rate. */
const ADDITIVE_INCREASE = 0.2;
const SLOW_START_GROWTH = 1.1;
const CUT_TO_OBSERVED = 0.9;
const WINDOW_MS = 1000;

/**
 * Paces requests to a service whose rate limit is unpublished (Kantata OX): starts moderate, grows until the
 * first 429, then holds just under the throughput that actually succeeded and probes upwards again slowly.
 * A 429 costs one slot and the invitee is re-queued by the retry loop, so nobody is lost or sent twice.
 */
export class AdaptivePacer implements Pacer {
  private ratePerSecond: number;
  private slowStart = true;
  private nextStartAt = 0;
  private pausedUntil = 0;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  private lastActivityAt = Number.NEGATIVE_INFINITY;
  private firstActivityAt = Number.NEGATIVE_INFINITY;
  private recentSuccesses: number[] = [];
  private inFlight = 0;
  private readonly waitingForSlot: (() => void)[] = [];

  constructor(private readonly options: AdaptivePacerOptions) {
    this.ratePerSecond = options.initialRatePerSecond;
  }

  get currentRatePerSecond(): number {
    return this.ratePerSecond;
  }

  async acquire(): Promise<() => void> {
    await this.takeInFlightSlot();
    const { clock } = this.options;
    const now = clock.now();
    this.forgetIfIdle(now);
    const startAt = Math.max(now, this.nextStartAt, this.pausedUntil);
    this.nextStartAt = startAt + 1000 / this.ratePerSecond;
    if (startAt > now) await clock.sleep(startAt - now);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.lastActivityAt = this.options.clock.now();
      this.releaseInFlightSlot();
    };
  }

  onSuccess(): void {
    const now = this.options.clock.now();
    this.recentSuccesses.push(now);
    this.trimWindow(now);
    const grown = this.slowStart ? this.ratePerSecond * SLOW_START_GROWTH : this.ratePerSecond + ADDITIVE_INCREASE;
    this.ratePerSecond = Math.min(this.options.maxRatePerSecond, grown);
  }

  onThrottled(retryAfterMs?: number): void {
    const now = this.options.clock.now();
    if (retryAfterMs !== undefined) this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
    // Several requests already in flight will all come back 429 for one overshoot: cut once per window.
    if (now - this.lastCutAt < WINDOW_MS) return;
    this.lastCutAt = now;
    this.slowStart = false;
    this.trimWindow(now);
    const observedRate = now - this.firstActivityAt >= WINDOW_MS ? (this.recentSuccesses.length * 1000) / WINDOW_MS : 0;
    const target = observedRate > 0 ? Math.min(this.ratePerSecond, observedRate) * CUT_TO_OBSERVED : this.ratePerSecond / 2;
    this.ratePerSecond = Math.max(this.options.minRatePerSecond, target);
    this.nextStartAt = Math.max(this.nextStartAt, now + 1000 / this.ratePerSecond);
  }

  private forgetIfIdle(now: number): void {
    const onlyRequestRunning = this.inFlight === 1;
    if (!onlyRequestRunning || now - this.lastActivityAt < this.options.idleResetMs) return;
    this.firstActivityAt = now;
    this.lastActivityAt = now;
    this.ratePerSecond = Math.max(this.ratePerSecond, this.options.initialRatePerSecond);
    this.slowStart = true;
    this.recentSuccesses = [];
  }

  private trimWindow(now: number): void {
    const from = now - WINDOW_MS;
    let drop = 0;
    while (drop < this.recentSuccesses.length && (this.recentSuccesses[drop] ?? 0) < from) drop += 1;
    if (drop > 0) this.recentSuccesses.splice(0, drop);
  }

  private takeInFlightSlot(): Promise<void> {
    if (this.inFlight < this.options.maxInFlight) {
      this.inFlight += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waitingForSlot.push(resolve));
  }

  private releaseInFlightSlot(): void {
    const next = this.waitingForSlot.shift();
    if (next) next();
    else this.inFlight -= 1;
  }
}
