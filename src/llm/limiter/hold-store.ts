/**
 * Where the shared pool keeps the backoff an API asked for (Retry-After): one Redis key for the
 * whole deployment, so that a 429 told to one instance holds them all. (The pool of one
 * instance, local-pool.ts, keeps its hold in a variable of its own.)
 */
import type { Redis } from 'ioredis';

export interface SharedHold {
  remainingMs: number;
  reason: string;
}

/** Where the backoff an API asked for is kept (an interface, so the pool's composition can be tested without Redis). */
export interface HoldStore {
  current(): Promise<SharedHold | undefined>;
  /** Makes the hold last at least ms from now; true when this lengthened it. */
  extend(ms: number, reason: string): Promise<boolean>;
}

// The key's TTL is the hold: Redis's clock decides, so instances with skewed clocks agree. The
// script also tells every instance (its channel is the key's name) that the hold changed.
const EXTEND_HOLD = `local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
  redis.call('PUBLISH', KEYS[1], ARGV[1])
  return 1
end
return 0`;
const READ_HOLD = `local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return {0, ''} end
return {ttl, redis.call('GET', KEYS[1]) or ''}`;

/**
 * How long "no hold" read from Redis is believed without asking again, while the hold's channel
 * is listened to. Every call asks whether a hold is on (twice: before and after its rate budget);
 * without this, each paid a Redis round trip for an answer that is almost always "no". A hold
 * set meanwhile by any instance arrives on the channel and ends the belief at once; the few ms
 * only bound what a message lost on a dying connection could cost.
 */
export const NO_HOLD_BELIEF_MS = 5;

/** A connection in subscriber mode: the hold's channel is listened to on it. */
export type HoldSubscriber = Pick<Redis, 'subscribe' | 'on' | 'status'>;

export function createRedisHoldStore(redis: Pick<Redis, 'eval'>, key: string, subscriber?: HoldSubscriber, now: () => number = Date.now): HoldStore {
  /** Until when "no hold" is believed; 0 when Redis must be asked. */
  let noHoldUntil = 0;
  let listening = false;
  /** Counts the hold's messages: a read that a message overtook proves nothing. */
  let told = 0;
  let reading: { told: number; answer: Promise<SharedHold | undefined> } | undefined;
  if (subscriber) {
    const listen = () => {
      subscriber.subscribe(key).then(() => (listening = subscriber.status === 'ready'), () => (listening = false));
    };
    // A message missed while the connection was down is why the belief ends with it.
    const deaf = () => {
      listening = false;
      noHoldUntil = 0;
      told++;
    };
    subscriber.on('message', (channel: string) => {
      if (channel !== key) return;
      noHoldUntil = 0;
      told++;
    });
    subscriber.on('close', deaf);
    subscriber.on('end', deaf);
    subscriber.on('ready', listen);
    if (subscriber.status === 'ready') listen();
  }

  async function read(): Promise<SharedHold | undefined> {
    const asked = now();
    const before = told;
    const [ttl, reason] = (await redis.eval(READ_HOLD, 1, key)) as [number, string];
    if (ttl > 0) return { remainingMs: ttl, reason };
    if (listening && told === before) noHoldUntil = asked + NO_HOLD_BELIEF_MS;
    return undefined;
  }

  return {
    async current() {
      if (listening && now() < noHoldUntil) return undefined;
      // Calls asking at the same moment share one read, unless a message came after it was sent.
      if (reading?.told !== told) {
        const r = { told, answer: read() };
        reading = r;
        void r.answer.finally(() => {
          if (reading === r) reading = undefined;
        }).catch(() => undefined);
      }
      return reading.answer;
    },
    async extend(ms, reason) {
      noHoldUntil = 0;
      told++;
      return (await redis.eval(EXTEND_HOLD, 1, key, String(Math.max(1, Math.ceil(ms))), reason)) === 1;
    },
  };
}
