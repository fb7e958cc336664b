import type { CrashPoint } from './config';

/**
 * Test-only crash hook (SETTLEMENT_FAULT_CRASH_AT, refused in production by config): SIGKILLs
 * this process at the named step boundary, the way a power cut would — no shutdown hooks run.
 */
export class CrashHook {
  /** Payouts this process finished: `after-event` fires only for their final events. */
  private readonly finishedHere = new Set<string>();

  constructor(private readonly point: CrashPoint | undefined) {}

  get enabled(): boolean {
    return this.point !== undefined;
  }

  finished(payoutId: string): void {
    if (this.point) this.finishedHere.add(payoutId);
  }

  finishedByThisProcess(payoutId: unknown): boolean {
    return typeof payoutId === 'string' && this.finishedHere.has(payoutId);
  }

  at(point: CrashPoint): void {
    if (point !== this.point) return;
    process.stderr.write(`near-settlement: crash injected at ${point}\n`);
    process.kill(process.pid, 'SIGKILL');
    // Block until the signal lands, so not one more statement of the step runs.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
  }
}
