/**
 * Polls `probe` until it returns something other than undefined (read models and relays catch up
 * asynchronously); throws `<what> not met in time` after `timeoutMs`. Never a fixed sleep: it
 * returns as soon as it can.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  intervalMs = 100,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met in time`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
