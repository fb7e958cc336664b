/** Exponential backoff between in-process retries of a failing handler. */
export interface BackoffPolicy {
  /** Wait after the first failure. */
  initialMs: number;
  /** Upper bound for any single wait. */
  maxMs: number;
  /** Growth factor per further failure. */
  multiplier: number;
  /** Fraction of each wait taken off at random (0 = deterministic). Default 0. */
  jitter?: number;
}

/** 0.5 s, 1 s, 2 s, 4 s … capped at 30 s. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, multiplier: 2 };

/**
 * How long to wait after failed attempt number `attempt` (1-based) before the next one:
 * `min(maxMs, initialMs * multiplier^(attempt-1))`, minus up to `jitter` of it at random.
 */
export function computeBackoffMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  }
  const { initialMs, maxMs, multiplier } = policy;
  if (initialMs < 0 || maxMs < 0 || multiplier < 1) {
    throw new RangeError('backoff needs initialMs >= 0, maxMs >= 0 and multiplier >= 1');
  }
  const exponential = initialMs * Math.pow(multiplier, attempt - 1);
  const capped = Math.min(maxMs, exponential);
  const jitter = Math.min(Math.max(policy.jitter ?? 0, 0), 1);
  return Math.round(capped * (1 - jitter * random()));
}

/**
 * Sleeps `ms`, waking early (resolving false) when `signal` aborts; calls `tick` every
 * `tickMs` meanwhile (consumer heartbeats). A rejection from `tick` rejects the sleep.
 */
export async function sleepWithHeartbeat(
  ms: number,
  signal: AbortSignal,
  tick: () => Promise<void>,
  tickMs: number,
): Promise<boolean> {
  const until = Date.now() + ms;
  while (!signal.aborted) {
    const left = until - Date.now();
    if (left <= 0) return true;
    await abortableDelay(Math.min(left, tickMs), signal);
    if (!signal.aborted) await tick();
  }
  return false;
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
