import { Injectable } from '@nestjs/common';

/**
 * The service's one source of time for commands, the rolling window and the ledger. Tests move it
 * (`advance`) so the 24-hour window can pass without waiting; nothing else reads the wall clock.
 */
@Injectable()
export class TreasuryClock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves this process's time forward (tests only). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
