/**
 * A plain wait. Through the global setTimeout (not node:timers/promises) so that tests with fake
 * timers control it like every other timer here.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise<void>((r) => setTimeout(r, ms));
}
