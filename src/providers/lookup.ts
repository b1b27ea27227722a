import type { RetryPolicy } from './retry.js';

/**
 * Workspace lookups serve someone typing in a form: one quick retry at most, never a long wait behind a
 * rate limit. A lookup that fails is cheap to repeat; an invitation is not, hence its own, longer policy.
 */
export const LOOKUP_RETRY_POLICY: RetryPolicy = { maxAttempts: 2, maxTotalMs: 2_000, baseDelayMs: 200, maxDelayMs: 1_000 };
