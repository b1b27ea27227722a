import type { Clock } from '../../src/providers/retry.js';

/** A clock whose sleeps return at once and move time forward, recording how long each would have been. */
export class ManualClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(private current = 1_700_000_000_000) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += Math.max(0, ms);
    return Promise.resolve();
  }
}
