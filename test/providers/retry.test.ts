import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ConnectionError,
  InvalidRequestError,
  NoAnswerError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  ServiceUnavailableError,
  UnexpectedResponseError,
} from '../../src/providers/errors.js';
import { backoffDelay, decideRetry, parseRetryAfter, withRetries, type RetryPolicy } from '../../src/providers/retry.js';
import { ManualClock } from '../fakes/clock.js';

const policy: RetryPolicy = { maxAttempts: 4, maxTotalMs: 10_000, baseDelayMs: 100, maxDelayMs: 1_000 };
const half = () => 0.5;

describe('decideRetry', () => {
  it('retries 429, 503 and connections that never opened', () => {
    for (const error of [
      new RateLimitError('kantata', { status: 429 }),
      new ServiceUnavailableError('huddle', { status: 503 }),
      new ConnectionError('kantata', 'connection refused'),
    ]) {
      expect(decideRetry(error, 1, 0, policy, half)).toEqual({ retry: true, delayMs: 75 });
    }
  });

  it('never retries other 4xx, or anything that may have been processed', () => {
    for (const error of [
      new InvalidRequestError('kantata', { status: 400 }),
      new AuthenticationError('kantata', { status: 401 }),
      new PermissionError('huddle', { status: 403 }),
      new NotFoundError('kantata', { status: 404 }),
      new InvalidRequestError('kantata', { status: 422 }),
      new ServerError('kantata', { status: 500 }),
      new UnexpectedResponseError('kantata', { status: 502 }),
      new NoAnswerError('huddle', 'no answer within 30 s'),
      new Error('bug'),
    ]) {
      expect(decideRetry(error, 1, 0, policy, half)).toEqual({ retry: false, reason: 'not_retryable' });
    }
  });

  it('honours Retry-After over its own backoff', () => {
    expect(decideRetry(new RateLimitError('huddle', { status: 429, retryAfterMs: 7_000 }), 1, 0, policy, half)).toEqual({
      retry: true,
      delayMs: 7_000,
    });
  });

  it('gives up when attempts or time run out', () => {
    const error = new ServiceUnavailableError('kantata', { status: 503 });
    expect(decideRetry(error, 4, 0, policy, half)).toEqual({ retry: false, reason: 'attempts_exhausted' });
    expect(decideRetry(new RateLimitError('huddle', { status: 429, retryAfterMs: 9_000 }), 1, 2_000, policy, half)).toEqual({
      retry: false,
      reason: 'time_exhausted',
    });
  });

  it('leaves a paced 429 without Retry-After to the pacer, bounded by time rather than attempts', () => {
    const throttled = new RateLimitError('kantata', { status: 429 });
    expect(decideRetry(throttled, 1, 0, policy, half, true)).toEqual({ retry: true, delayMs: 0 });
    expect(decideRetry(throttled, 40, 9_000, policy, half, true)).toEqual({ retry: true, delayMs: 0 });
    expect(decideRetry(throttled, 40, 10_001, policy, half, true)).toEqual({ retry: false, reason: 'time_exhausted' });
    expect(decideRetry(new ServiceUnavailableError('kantata', { status: 503 }), 4, 0, policy, half, true)).toEqual({ retry: false, reason: 'attempts_exhausted' });
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt between half and all of the ceiling, capped', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, policy, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, policy, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T10:00:00Z');
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent or unreadable values', () => {
    expect([undefined, '', 'soon', '-5', '1.5'].map((value) => parseRetryAfter(value, now))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('withRetries', () => {
  it('retries a 503 with growing waits, then returns the success', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls += 1;
        if (calls < 3) throw new ServiceUnavailableError('kantata', { status: 503 });
        return 'ok';
      },
      { policy, clock, random: () => 1 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(clock.sleeps).toEqual([100, 200]);
  });

  it('gives up after maxAttempts and throws the last error', async () => {
    const clock = new ManualClock();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw new ServiceUnavailableError('kantata', { status: 503, upstreamMessage: `down ${calls}` });
        },
        { policy, clock, random: half },
      ),
    ).rejects.toMatchObject({ kind: 'unavailable', upstreamMessage: 'down 4' });
    expect(calls).toBe(4);
  });

  it('sends a 401 or a timeout exactly once', async () => {
    for (const error of [new AuthenticationError('huddle', { status: 401 }), new NoAnswerError('huddle', 'timeout')]) {
      let calls = 0;
      await expect(
        withRetries(
          async () => {
            calls += 1;
            throw error;
          },
          { policy, clock: new ManualClock() },
        ),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('tells the pacer about throttling and success, and releases every slot', async () => {
    const events: string[] = [];
    let held = 0;
    const pacer = {
      acquire: async () => {
        held += 1;
        events.push('acquire');
        return () => {
          held -= 1;
          events.push('release');
        };
      },
      onSuccess: () => events.push('success'),
      onThrottled: (retryAfterMs?: number) => events.push(`throttled:${retryAfterMs}`),
    };
    let calls = 0;
    await withRetries(
      async () => {
        calls += 1;
        if (calls === 1) throw new RateLimitError('kantata', { status: 429 });
        return 1;
      },
      { policy, clock: new ManualClock(), pacer },
    );
    expect(events).toEqual(['acquire', 'release', 'throttled:undefined', 'acquire', 'success', 'release']);
    expect(held).toBe(0);
  });
});
