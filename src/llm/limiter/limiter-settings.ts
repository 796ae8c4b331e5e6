/**
 * The pure arithmetic behind the LLM limiter's settings: rate buckets, job chunks, and how long
 * a slot may be held. Kept apart from Bottleneck and Redis so it is unit-tested on its own.
 */

/**
 * A rate limit as a token bucket (Bottleneck's reservoir with reservoirIncrease*): `capacity`
 * tokens at most, `amount` more every `intervalMs`.
 *
 * Why a bucket and not a reservoir refreshed every minute: a fixed window lets a full budget
 * go at the end of one minute and another at the start of the next, twice the limit within
 * 60 s. The API counts in sliding windows, so the bucket is sized so that NO 60 s window can
 * hold more than the limit: capacity + amount × (increments one window can see) ≤ limit.
 * A window of W ms sees floor(W / interval) + 1 grid points, plus those due just before it:
 * Bottleneck applies increments lazily (on the rate limiters' 1 s heartbeat or the next Redis
 * call), so up to LAZY_MS of earlier ones may land inside. The price is a steady rate some per
 * cent under the limit, plus a burst of `capacity` after a quiet spell.
 */
export interface Bucket {
  capacity: number;
  amount: number;
  intervalMs: number;
}

/** Share of the limit that may go at once after a quiet spell. */
const BURST_SHARE = 0.1;
/** The rate limiters' heartbeat: increments are applied at least this often while anyone waits. */
export const BUCKET_HEARTBEAT_MS = 1000;
/** The longest an increment can wait to be applied: a heartbeat plus slack for timers and Redis. */
const LAZY_MS = 2 * BUCKET_HEARTBEAT_MS;

function incrementsSeen(intervalMs: number, windowMs: number): number {
  return Math.floor(windowMs / intervalMs) + 1 + Math.ceil(LAZY_MS / intervalMs);
}

/** Limits under 3 per minute cannot be held to exactly with a bucket; they behave as 3. */
export function bucketFor(limitPerMinute: number): Bucket {
  const limit = Math.max(3, Math.floor(limitPerMinute));
  const capacity = Math.max(1, Math.min(Math.ceil(limit * BURST_SHARE), limit - 2));
  const refill = limit - capacity;
  // The interval (multiple of 250 ms, never under the heartbeat) that sustains the most: short
  // intervals spread the refill evenly, but whole tokens per increment round down.
  let best: Bucket = { capacity, amount: 1, intervalMs: 61_000 };
  for (let intervalMs = BUCKET_HEARTBEAT_MS; intervalMs <= 61_000; intervalMs += 250) {
    const amount = Math.floor(refill / incrementsSeen(intervalMs, 60_000));
    if (amount >= 1 && amount / intervalMs > best.amount / best.intervalMs) best = { capacity, amount, intervalMs };
  }
  return best;
}

/** The most a bucket lets through in any window of windowMs: what the tests hold it to. */
export function bucketMaxInWindow(b: Bucket, windowMs: number): number {
  return b.capacity + b.amount * incrementsSeen(b.intervalMs, windowMs);
}

/** Tokens per minute the bucket sustains once its burst is spent. */
export function bucketSteadyPerMinute(b: Bucket): number {
  return Math.floor((b.amount * 60_000) / b.intervalMs);
}

/**
 * A job bigger than the bucket could never start (Bottleneck waits for weight ≤ reservoir):
 * it takes the bucket in turns instead, chunk by chunk, so that every token is still counted.
 */
export function chunkWeight(weight: number, capacity: number): number[] {
  const w = Math.max(1, Math.ceil(weight));
  const out: number[] = [];
  for (let left = w; left > 0; left -= capacity) out.push(Math.min(left, capacity));
  return out;
}

/** The SDK honours a Retry-After of up to 60 s between its own retries (and the step caller as much between its own). */
export const SDK_MAX_RETRY_WAIT_MS = 60_000;
/** How long a slot may wait for rate budget before it gives the slot back and queues again. */
export const RATE_WAIT_ALLOWANCE_MS = 120_000;

/**
 * How long a slot is held before the pool takes it back: Bottleneck's job `expiration`. This is
 * what frees the slots of an instance that died (SIGKILL, OOM, lost host) while calling: its
 * jobs never report done, and without an expiration the pool would stay smaller forever.
 * It must outlast the longest legitimate job, or a slow call would lose its slot while on the
 * wire and the pool would overbook: a job is the answer call and one repair, each with the
 * SDK's retries (LLM_TIMEOUT each, up to 60 s Retry-After between them), plus the wait for
 * rate budget when rate limits are on. A SIGKILLed instance's slots are therefore back within
 * this time (plus a heartbeat); lower LLM_TIMEOUT or LLM_CALL_RETRIES to shorten it.
 */
export function slotExpirationMs(llm: { timeoutMs: number; callRetries: number }, rateLimited: boolean): number {
  const tries = llm.callRetries + 1;
  const oneRequest = tries * llm.timeoutMs + llm.callRetries * SDK_MAX_RETRY_WAIT_MS;
  return 2 * oneRequest + (rateLimited ? RATE_WAIT_ALLOWANCE_MS : 0) + 5_000;
}
