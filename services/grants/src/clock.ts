/** Where the grants service reads the time; tests provide their own to move past the cool-down. */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('GRANTS_CLOCK');

export const systemClock: Clock = { now: () => new Date() };
