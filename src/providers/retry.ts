import { ProviderError } from './errors.js';

/** Time, injectable so that tests of backoff need no real sleeps. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with SendAborted as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A call was given up before anything was sent: a shutdown came while it waited for its turn or for a
 * retry. The service certainly did not act on it, so it can go back to the queue.
 */
export class SendAborted extends Error {
  constructor() {
    super('stopped before the request was sent');
    this.name = 'SendAborted';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SendAborted();
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new SendAborted());
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(new SendAborted());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  readonly maxAttempts: number;
  /** No retry is scheduled that would start later than this after the first attempt. */
  readonly maxTotalMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  maxTotalMs: 120_000,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
};

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: 'not_retryable' | 'attempts_exhausted' | 'time_exhausted' };

/**
 * Whether to send again after `error` on attempt number `attempt` (1-based).
 * Only errors the service certainly did not act on are retried: 429, 503, and connections that never opened.
 */
export function decideRetry(
  error: unknown,
  attempt: number,
  elapsedMs: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
  paced = false,
): RetryDecision {
  if (!(error instanceof ProviderError) || !error.retryable || error.mayHaveBeenProcessed) {
    return { retry: false, reason: 'not_retryable' };
  }
  // Under a pacer a 429 is the cost of finding an unpublished limit, not a sign of trouble: only time bounds it.
  const probing = paced && error.kind === 'rate_limited';
  if (!probing && attempt >= policy.maxAttempts) return { retry: false, reason: 'attempts_exhausted' };
  const delayMs = error.retryAfterMs ?? (probing ? 0 : backoffDelay(attempt, policy, random));
  if (elapsedMs + delayMs > policy.maxTotalMs) return { retry: false, reason: 'time_exhausted' };
  return { retry: true, delayMs };
}

/** Exponential backoff with "equal jitter": between half and all of base * 2^(attempt-1), capped. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** `Retry-After` as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Spaces requests out and learns the rate a service tolerates; see AdaptivePacer. */
export interface Pacer {
  /** Resolves when a request may start; call the returned function when it has finished. Rejects with SendAborted on `signal`. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  onSuccess(): void;
  onThrottled(retryAfterMs?: number): void;
}

export interface RetryOptions {
  readonly policy: RetryPolicy;
  readonly clock: Clock;
  readonly random?: () => number;
  readonly pacer?: Pacer;
  readonly onRetry?: (error: ProviderError, attempt: number, delayMs: number) => void;
  /** Aborting gives up before the next attempt goes out (never during one): SendAborted is thrown. */
  readonly signal?: AbortSignal;
  /** Told just before each attempt is sent. */
  readonly onAttempt?: (attempt: number) => void;
}

/** What a caller controls in one call: giving up before it is sent, and counting its attempts. */
export type CallControl = Pick<RetryOptions, 'signal' | 'onAttempt'>;

/**
 * The one place where upstream calls are retried and paced. Both clients send through it.
 * The pacer is told about every answer so that it can adapt to limits nobody published.
 */
export async function withRetries<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, clock, pacer } = options;
  const startedAt = clock.now();
  for (let attempt = 1; ; attempt += 1) {
    const result = await attemptOnce(operation, attempt, options);
    if (result.ok) return result.value;
    const failure = result.error;
    if (failure instanceof SendAborted) throw failure;
    if (failure instanceof ProviderError && failure.kind === 'rate_limited') pacer?.onThrottled(failure.retryAfterMs);
    const decision = decideRetry(failure, attempt, clock.now() - startedAt, policy, options.random, pacer !== undefined);
    if (!decision.retry) throw failure;
    options.onRetry?.(failure as ProviderError, attempt, decision.delayMs);
    if (decision.delayMs > 0) await clock.sleep(decision.delayMs, options.signal);
  }
}

type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

async function attemptOnce<T>(operation: (attempt: number) => Promise<T>, attempt: number, options: RetryOptions): Promise<Attempt<T>> {
  const { pacer, signal } = options;
  let release: (() => void) | undefined;
  try {
    release = pacer ? await pacer.acquire(signal) : undefined;
    throwIfAborted(signal);
    options.onAttempt?.(attempt);
    const value = await operation(attempt);
    pacer?.onSuccess();
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error };
  } finally {
    release?.();
  }
}
