import { describe, expect, it } from 'vitest';
import { AdaptivePacer } from '../../src/providers/adaptive-pacer.js';
import { ManualClock } from '../fakes/clock.js';

function pacer(clock: ManualClock, overrides: Partial<ConstructorParameters<typeof AdaptivePacer>[0]> = {}) {
  return new AdaptivePacer({
    clock,
    initialRatePerSecond: 10,
    minRatePerSecond: 0.5,
    maxRatePerSecond: 100,
    maxInFlight: 2,
    idleResetMs: 60_000,
    ...overrides,
  });
}

describe('AdaptivePacer', () => {
  it('spaces request starts at the current rate', async () => {
    const clock = new ManualClock();
    const subject = pacer(clock, { maxInFlight: 10 });
    const starts: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const release = await subject.acquire();
      starts.push(clock.now());
      release();
    }
    expect(starts.map((at) => at - (starts[0] ?? 0))).toEqual([0, 100, 200, 300]);
  });

  it('never lets more than maxInFlight run at once', async () => {
    const clock = new ManualClock();
    const subject = pacer(clock, { maxInFlight: 2 });
    const first = await subject.acquire();
    await subject.acquire();
    let thirdStarted = false;
    const third = subject.acquire().then(() => {
      thirdStarted = true;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(thirdStarted).toBe(false);
    first();
    await third;
    expect(thirdStarted).toBe(true);
  });

  it('grows quickly until the first 429, then cuts to just under the rate that succeeded', () => {
    const clock = new ManualClock();
    const subject = pacer(clock);
    void subject.acquire();
    for (let i = 0; i < 10; i += 1) {
      clock.advance(100);
      subject.onSuccess();
    }
    expect(subject.currentRatePerSecond).toBeCloseTo(10 * 1.25 ** 10, 5);
    clock.advance(1);
    subject.onThrottled();
    // 10 successes in the last second: that is the limit; resume at 95% of it.
    expect(subject.currentRatePerSecond).toBeCloseTo(9.5, 5);
    // Climb back towards 98% of the limit quickly...
    subject.onSuccess();
    expect(subject.currentRatePerSecond).toBeCloseTo(9.5 + (9.8 - 9.5) * 0.2 + 0.01, 5);
    for (let i = 0; i < 40; i += 1) subject.onSuccess();
    expect(subject.currentRatePerSecond).toBeGreaterThan(9.8);
    expect(subject.currentRatePerSecond).toBeLessThan(10.3);
  });

  it('probes above the known limit faster the longer no 429 comes', () => {
    const clock = new ManualClock();
    const subject = pacer(clock);
    void subject.acquire();
    clock.advance(1001);
    subject.onThrottled();
    for (let i = 0; i < 100; i += 1) subject.onSuccess();
    const afterQuickClimb = subject.currentRatePerSecond;
    subject.onSuccess();
    expect(subject.currentRatePerSecond - afterQuickClimb).toBeCloseTo(0.01, 5);
    clock.advance(20_000);
    const before = subject.currentRatePerSecond;
    subject.onSuccess();
    expect(subject.currentRatePerSecond - before).toBeCloseTo(0.01 * 2 ** 4, 5);
  });

  it('cuts once for a burst of 429s from requests already in flight', () => {
    const clock = new ManualClock();
    const subject = pacer(clock);
    void subject.acquire();
    subject.onThrottled();
    subject.onThrottled();
    subject.onThrottled();
    // Nothing succeeded yet to measure the limit by: assume half the current rate, resume at 95% of that.
    expect(subject.currentRatePerSecond).toBeCloseTo(4.75, 5);
    clock.advance(1001);
    subject.onThrottled();
    expect(subject.currentRatePerSecond).toBeCloseTo(4.75 / 2 * 0.95, 5);
  });

  it('never drops below the floor', () => {
    const clock = new ManualClock();
    const subject = pacer(clock);
    for (let i = 0; i < 20; i += 1) {
      clock.advance(1001);
      subject.onThrottled();
    }
    expect(subject.currentRatePerSecond).toBe(0.5);
  });

  it('pauses every request for Retry-After', async () => {
    const clock = new ManualClock();
    const subject = pacer(clock, { maxInFlight: 5 });
    (await subject.acquire())();
    subject.onThrottled(3_000);
    const before = clock.now();
    (await subject.acquire())();
    expect(clock.now() - before).toBeGreaterThanOrEqual(3_000);
  });

  it('forgets a learned low rate after being idle', async () => {
    const clock = new ManualClock();
    const subject = pacer(clock);
    (await subject.acquire())();
    for (let i = 0; i < 5; i += 1) {
      clock.advance(1001);
      subject.onThrottled();
    }
    expect(subject.currentRatePerSecond).toBeLessThan(1);
    clock.advance(61_000);
    (await subject.acquire())();
    expect(subject.currentRatePerSecond).toBe(10);
  });
});
