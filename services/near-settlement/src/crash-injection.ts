import type { CrashPoint } from './config';

/**
 * Test-only crash hook (SETTLEMENT_FAULT_CRASH_AT, refused in production by config): SIGKILLs
 * this process at the named step boundary, the way a power cut would — no shutdown hooks run.
 */
export class CrashHook {
  constructor(private readonly point: CrashPoint | undefined) {}

  at(point: CrashPoint): void {
    if (point !== this.point) return;
    process.stderr.write(`near-settlement: crash injected at ${point}\n`);
    process.kill(process.pid, 'SIGKILL');
    // Block until the signal lands, so not one more statement of the step runs.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
  }
}
