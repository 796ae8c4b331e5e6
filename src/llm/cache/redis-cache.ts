/**
 * The result cache in Redis, shared by every instance and kept across restarts, so that a
 * replay or a duplicate document costs nothing while prompt version and model are unchanged.
 * The cache is an optimisation: a Redis error is logged and read as a miss, never a failed
 * document; after one, Redis is left alone for a moment so that an outage does not add a
 * timeout to every call. An answer that could not be written then is not lost: it is kept
 * (up to maxPending answers, the oldest given up first) and written once Redis answers again,
 * with the rest of its TTL, so that one timeout under load does not make a later replay pay.
 *
 * Lookups asked for in the same turn of the event loop go to Redis as one MGET: a replay asks
 * three per document for dozens of documents at a time, and one command each (its object, its
 * promise, its timeout timer, its reply) was a tenth of the replay's CPU.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../observability/logger.ts';
import type { CachedAnswer, ResultCache } from './result-cache.ts';

export interface RedisCacheDeps {
  redis: Pick<Redis, 'mget' | 'set' | 'quit' | 'disconnect'>;
  /** Namespaces the keys: the pool id, so that deployments (and tests) do not share answers. */
  prefix: string;
  ttlMs: number;
  logger: Logger;
  /** How long to skip Redis after an error. */
  backoffMs?: number;
  /** Answers kept for a later write while Redis is away (default 10,000). */
  maxPending?: number;
  /** Told of each answer given up on: never written, so a replay of its document pays again. */
  onUnwritten?: (count: number) => void;
  now?: () => number;
}

export interface RedisResultCache extends ResultCache {
  /** Answers waiting to be written, and answers given up on since start. */
  backlog(): { pending: number; unwritten: number };
}

function parseAnswer(text: string): CachedAnswer | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && 'output' in v && typeof (v as { model?: unknown }).model === 'string') {
      const { output, model, fieldProbability } = v as CachedAnswer;
      return { output, model, ...(typeof fieldProbability === 'number' ? { fieldProbability } : {}) };
    }
  } catch {
    // An entry we cannot read is a miss; the next answer overwrites it.
  }
  return undefined;
}

/** Keys per MGET: a few hundred keep one reply small enough not to stall the event loop. */
const MAX_KEYS_PER_READ = 256;
/** How long close() waits for the answers still to be written. */
const CLOSE_FLUSH_MS = 2_000;

interface Lookup {
  key: string;
  resolve: (text: string | null | undefined) => void;
}

export function createRedisCache(deps: RedisCacheDeps): RedisResultCache {
  const { redis, prefix, ttlMs, logger } = deps;
  const now = deps.now ?? Date.now;
  const backoffMs = deps.backoffMs ?? 5_000;
  const maxPending = deps.maxPending ?? 10_000;
  let skipUntil = 0;
  let lastLogged = 0;
  let waiting: Lookup[] = [];
  /** Answers not written yet, oldest first, with when they were made (their TTL runs from then). */
  const pending = new Map<string, { text: string; at: number }>();
  let flushTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let unwritten = 0;
  let closed = false;

  /** Sends what was asked for this turn; undefined for a lookup means Redis failed it. */
  function read(): void {
    const batch = waiting;
    waiting = [];
    for (let i = 0; i < batch.length; i += MAX_KEYS_PER_READ) {
      const part = batch.slice(i, i + MAX_KEYS_PER_READ);
      redis.mget(part.map((l) => prefix + l.key)).then(
        (texts) => part.forEach((l, j) => l.resolve(texts[j] ?? null)),
        (err: unknown) => {
          failed(err, 'get');
          for (const l of part) l.resolve(undefined);
        },
      );
    }
  }

  function failed(err: unknown, op: 'get' | 'set'): void {
    skipUntil = now() + backoffMs;
    if (now() - lastLogged < 10_000) return;
    lastLogged = now();
    logger.warn({ err: err instanceof Error ? err.message : String(err), op, skipMs: backoffMs, pending: pending.size }, 'result cache unavailable: treating it as a miss; answers are written once it answers');
  }

  const write = (key: string, text: string, at: number) => redis.set(prefix + key, text, 'PX', Math.max(1, Math.round(ttlMs - (now() - at))));

  function keep(key: string, text: string, at: number): void {
    pending.delete(key);
    pending.set(key, { text, at });
    let dropped = 0;
    for (const k of pending.keys()) {
      if (pending.size <= maxPending) break;
      pending.delete(k);
      dropped++;
    }
    if (dropped) giveUp(dropped, 'more answers waiting than LLM cache backlog allows');
    scheduleFlush();
  }

  function giveUp(count: number, why: string): void {
    unwritten += count;
    deps.onUnwritten?.(count);
    logger.warn({ count, unwritten, why }, 'result cache: answers given up on, never written (a replay of their documents calls the LLM again)');
  }

  function scheduleFlush(): void {
    if (flushTimer || flushing || closed || pending.size === 0) return;
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      flushing = flush().finally(() => {
        flushing = undefined;
        scheduleFlush();
      });
    }, Math.max(50, skipUntil - now()));
    flushTimer.unref?.();
  }

  /** Writes what is waiting; what fails again waits for the next try (unless a newer answer took its place). */
  async function flush(): Promise<void> {
    if (now() < skipUntil || pending.size === 0) return;
    const batch = [...pending];
    pending.clear();
    const results = await Promise.allSettled(batch.map(([key, v]) => write(key, v.text, v.at)));
    let written = 0;
    results.forEach((r, i) => {
      const [key, v] = batch[i]!;
      if (r.status === 'fulfilled') written++;
      else {
        failed(r.reason, 'set');
        if (!pending.has(key)) pending.set(key, v);
      }
    });
    if (written) logger.info({ written, stillPending: pending.size }, 'result cache: answers written late, after Redis answered again');
  }

  return {
    kind: 'redis',
    async get(key) {
      const mine = pending.get(key);
      if (mine) return parseAnswer(mine.text);
      if (now() < skipUntil) return undefined;
      const text = await new Promise<string | null | undefined>((resolve) => {
        if (waiting.push({ key, resolve }) === 1) process.nextTick(read);
      });
      return text === null || text === undefined ? undefined : parseAnswer(text);
    },
    async set(key, value) {
      const text = JSON.stringify({ output: value.output, model: value.model, fieldProbability: value.fieldProbability });
      const at = now();
      if (now() < skipUntil) return keep(key, text, at);
      try {
        await write(key, text, at);
      } catch (err) {
        failed(err, 'set');
        keep(key, text, at);
      }
    },
    backlog: () => ({ pending: pending.size, unwritten }),
    async close() {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = undefined;
      closed = true;
      // One last try for what waits, bounded: a stop must not hang on an absent Redis.
      await flushing;
      skipUntil = 0;
      if (pending.size) await Promise.race([flush(), new Promise((r) => setTimeout(r, CLOSE_FLUSH_MS).unref?.())]);
      if (pending.size) giveUp(pending.size, 'stopping while Redis does not answer');
      pending.clear();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
