/** Waiting in tests: a plain sleep, a bounded poll that names what it waited for, event-loop turns. */

import { sleep } from '../../src/util/sleep.ts';

export { sleep };

/** Polls `cond` every intervalMs until it holds; after timeoutMs, throws naming what was awaited. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string), intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(intervalMs);
  }
}

/** Lets n turns of the event loop pass (setImmediate): pending promise callbacks and I/O run. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Lets n rounds of timers pass (1 ms each): what Bottleneck schedules through timers runs. */
export async function timerRounds(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await sleep(1);
}
