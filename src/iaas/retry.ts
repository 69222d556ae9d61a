// Retry policy for IaaS calls: jittered exponential backoff, Retry-After honoured, and never a sleep
// past the caller's deadline. Which errors are retried is decided by `isAutoRetryable`; the loop
// itself only knows about IaasApiError.

import { IaasApiError } from './errors.ts';

export interface RetryPolicy {
  /** HTTP attempts per call, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this ends the call at once; the caller requeues instead of blocking. */
  maxRetryAfterMs: number;
  /** One attempt may take this long before it is abandoned (and retried if time is left). */
  attemptTimeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
  attemptTimeoutMs: 30_000,
};

/** Per-call bounds: an AbortSignal and/or a deadline in epoch milliseconds. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  deadline?: number | undefined;
}

/** Delay before retry number `retry` (1-based): uniformly random in [cap/2, cap], cap doubling each time. */
export function backoffDelayMs(
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** Retry-After as delta-seconds or an HTTP-date, in milliseconds from `now`; undefined when absent or unparsable. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date always names its weekday and month; "1.5" or "-3" are neither form.
  if (!/^[A-Za-z]/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Whether the client itself may repeat a call that failed with `err`. POSTs are never repeated. */
export function isAutoRetryable(err: IaasApiError): boolean {
  if (!err.idempotent || !err.retryable) return false;
  switch (err.kind) {
    case 'network':
    case 'auth':
      return true;
    case 'timeout':
      return !err.aborted;
    case 'http':
      return err.status === 429 || err.status === 408 || (err.status !== undefined && err.status >= 500);
    default:
      return false;
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, fails with an error that is not auto-retryable, runs out of
 * attempts, or the next wait would end past the deadline. Gives up with the last error (or, when
 * the deadline cut a retry short, the error that caused the retry), annotated with the attempts made.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  opts: CallOptions & { policy: RetryPolicy; random?: () => number; now?: () => number },
): Promise<T> {
  const now = opts.now ?? Date.now;
  let previous: IaasApiError | undefined;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof IaasApiError)) throw err;
      // The deadline cutting a retry short is not the story: the error that caused the retry is.
      const cutShort =
        err.kind === 'timeout' && !err.aborted && opts.deadline !== undefined && now() >= opts.deadline;
      if (cutShort && previous) throw previous.withAttempts(n);
      const last = err.withAttempts(n);
      previous = last;
      if (n >= opts.policy.maxAttempts || !isAutoRetryable(last)) throw last;
      let delay: number;
      if (last.retryAfterMs !== undefined) {
        if (last.retryAfterMs > opts.policy.maxRetryAfterMs) throw last;
        delay = last.retryAfterMs;
      } else {
        delay = backoffDelayMs(n, opts.policy, opts.random);
      }
      if (opts.deadline !== undefined && now() + delay >= opts.deadline) throw last;
      try {
        await sleep(delay, opts.signal);
      } catch {
        throw last;
      }
    }
  }
}
