/**
 * What the processor does while the shared pool's Redis is away: a service condition, like a
 * rejected API key, never a document's fault. REDIS_OUTAGE chooses:
 *
 *   pause  (default) no LLM call starts; intake of documents.raw and of the retry topics pauses
 *          (reason "redis"); documents wait in Kafka, or in flight where they are; Redis is
 *          probed every second. The global pool's promise (never more than LLM_POOL_SLOTS calls
 *          at once, deployment-wide) holds throughout.
 *   local  calls go on in a pool of this instance's own (the same LLM_POOL_SLOTS and rates), with
 *          a warning at the switch and at the switch back; the deployment may then make up to
 *          LLM_POOL_SLOTS calls per instance at once.
 *
 * Calls on the wire when Redis went away finish, and their answers count. In local mode they take
 * slots of the local pool until they end, so one instance never has more than LLM_POOL_SLOTS
 * calls on the wire, even at the switch. Their slots went with Redis's memory, so when Redis
 * answers again this instance first lets its own calls from before (and, in local mode, its
 * local ones) end, then takes slots in the shared pool again. A call that was only waiting for
 * a slot is taken back from the shared limiter and queued again here.
 */
import { EnricherError, ErrorCodes } from '../errors.ts';
import type { LlmLimiter, SharedStore, Turn } from '../llm/limiter/limiter.ts';
import { classifyRedisError } from '../llm/limiter/redis-errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { IntakeControl } from './intake-control.ts';
import { sleep } from '../util/sleep.ts';

export type RedisOutageMode = 'pause' | 'local';

export interface RedisOutageGuard {
  readonly limiter: LlmLimiter;
  /** For a document held with REDIS_UNAVAILABLE: resolves when the shared pool can be used (or on stop). */
  waitUntilAvailable(documentId: string): Promise<void>;
  /** Whether the shared pool can be used now. An observation point for tests and /readyz. */
  readonly available: boolean;
  /** Waits (a few seconds at most) for the first answer of Redis; marks it away if none came. */
  start(): Promise<void>;
  /** Shutdown: calls waiting for Redis end with REDIS_UNAVAILABLE (their documents are handed back); probing stops. With Redis up, calls go on. */
  stop(): void;
}

const SKIP = Symbol('skip');

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export function createRedisOutageGuard(deps: {
  shared: LlmLimiter & { store: SharedStore };
  mode: RedisOutageMode;
  /**
   * The per-instance pool for REDIS_OUTAGE=local, with its slots (LLM_POOL_SLOTS): this
   * instance's calls still on the wire from the shared pool take them first.
   */
  fallback?: { pool: LlmLimiter; slots: number } | undefined;
  intake: IntakeControl;
  logger: Logger;
  onAvailability?: (available: boolean) => void;
  probeIntervalMs?: number;
  startupWaitMs?: number;
}): RedisOutageGuard {
  const { shared, intake, mode } = deps;
  const store = shared.store;
  const fallback = mode === 'local' ? deps.fallback?.pool : undefined;
  if (mode === 'local' && !fallback) throw new Error('REDIS_OUTAGE=local needs a per-instance pool to fall back to');
  const localSlots = deps.fallback?.slots ?? 0;
  const log = deps.logger.child({ component: 'redis-outage', redis: store.where, mode });
  const probeEvery = deps.probeIntervalMs ?? 1_000;
  let down: { since: number; reason: string } | undefined;
  /** Redis answers again; waiting for this instance's calls from before to end. */
  let returning = false;
  let up = deferred();
  let lost = deferred();
  let sharedOnWire = 0;
  let localOnWire = 0;
  let stopped = false;

  function markDown(reason: string): void {
    if (stopped || down) return;
    down = { since: Date.now(), reason };
    up = deferred();
    lost.resolve();
    deps.onAvailability?.(false);
    if (mode === 'pause') {
      intake.pause('redis', `the shared LLM pool's Redis (${store.where}) is unreachable: ${reason}`);
      log.error({ reason, onWire: sharedOnWire }, 'Redis unreachable: REDIS_OUTAGE=pause, no LLM call starts and intake is paused until it answers; documents wait, none is failed');
    } else {
      log.warn({ reason, onWire: sharedOnWire }, "Redis unreachable: REDIS_OUTAGE=local, LLM calls switch to this instance's own pool; the global pool's limit does not hold (LLM_POOL_SLOTS per instance) until Redis answers");
    }
    void probeUntilUp();
  }

  async function probeUntilUp(): Promise<void> {
    let lastWhy = '';
    while (down && !stopped) {
      await sleep(probeEvery);
      if (stopped) return;
      try {
        await store.probe();
      } catch (e) {
        const why = (e as Error).message;
        if (why !== lastWhy) log.warn({ err: why, downForMs: Date.now() - down.since }, 'Redis still unreachable; probing again');
        lastWhy = why;
        down.reason = why;
        continue;
      }
      returning = true;
      while ((sharedOnWire > 0 || localOnWire > 0) && !stopped) await sleep(20);
      returning = false;
      markUp();
    }
  }

  function markUp(): void {
    if (!down || stopped) return;
    const downForMs = Date.now() - down.since;
    down = undefined;
    lost = deferred();
    up.resolve();
    deps.onAvailability?.(true);
    if (mode === 'pause') {
      log.info({ downForMs }, 'Redis answers again: LLM calls and intake resumed');
      intake.resume('redis');
    } else {
      log.warn({ downForMs }, 'Redis answers again: LLM calls switch back to the shared pool');
    }
  }

  store.onLost((reason) => markDown(reason));

  const stoppedError = () =>
    new EnricherError(`stopping while the shared LLM pool's Redis (${store.where}) is unreachable`, {
      code: ErrorCodes.REDIS_UNAVAILABLE, stage: 'extract', retriable: false, scope: 'service',
    });

  async function viaShared<T>(weight: number, fn: () => Promise<T>, turn: Turn | undefined): Promise<{ value: T } | typeof SKIP> {
    const started = { value: false };
    let withdrawn = false;
    const job = shared.schedule(weight, async (): Promise<{ value: T } | typeof SKIP> => {
      if (withdrawn || down) return SKIP;
      started.value = true;
      sharedOnWire++;
      try {
        return { value: await fn() };
      } finally {
        sharedOnWire--;
      }
    }, turn);
    type Settled = { v: { value: T } | typeof SKIP } | { e: unknown };
    const settle = (): Promise<Settled> => job.then((v) => ({ v }), (e: unknown) => ({ e }));
    const first = await Promise.race([settle(), lost.promise.then((): 'lost' => 'lost')]);
    if (first === 'lost' && !started.value) {
      withdrawn = true; // still waiting for a slot in the lost pool: queue again here
      job.catch(() => undefined);
      return SKIP;
    }
    // Our call is on the wire: its answer is paid for and counts, whatever Redis does now.
    const settled = first === 'lost' ? await settle() : first;
    if ('v' in settled) return settled.v;
    if (!started.value && classifyRedisError(settled.e)) {
      markDown((settled.e as Error).message);
      return SKIP;
    }
    throw settled.e;
  }

  function viaLocal<T>(weight: number, fn: () => Promise<T>, turn: Turn | undefined): Promise<{ value: T } | typeof SKIP> {
    return fallback!.schedule(weight, async (): Promise<{ value: T } | typeof SKIP> => {
      // This instance's calls from the shared pool, still on the wire after the switch, use its
      // slots too: else the deployment briefly had the lost pool's calls plus every local pool's.
      while (down && !returning && localOnWire + sharedOnWire >= localSlots) await sleep(20);
      // Redis came back while this call waited for a local slot: it goes to the shared pool.
      if (!down || returning) return SKIP;
      localOnWire++;
      try {
        return { value: await fn() };
      } finally {
        localOnWire--;
      }
    }, turn);
  }

  const limiter: LlmLimiter = {
    scope: shared.scope,
    weighted: shared.weighted,
    async schedule<T>(weight: number, fn: () => Promise<T>, turn?: Turn): Promise<T> {
      for (;;) {
        let r: { value: T } | typeof SKIP;
        if (!down) r = await viaShared(weight, fn, turn);
        else if (stopped) throw stoppedError(); // shutting down: the document is handed back, not failed
        else if (fallback && !returning) r = await viaLocal(weight, fn, turn);
        else {
          await up.promise;
          continue;
        }
        if (r !== SKIP) return r.value;
      }
    },
    hold(ms, reason) {
      shared.hold(ms, reason);
      fallback?.hold(ms, reason);
    },
    async running() {
      return down ? sharedOnWire + localOnWire : shared.running();
    },
    async stop() {
      release();
      await Promise.all([shared.stop(), fallback?.stop()]);
    },
  };

  function release(): void {
    stopped = true;
    up.resolve();
  }

  return {
    limiter,
    get available() {
      return down === undefined;
    },
    async waitUntilAvailable(documentId) {
      if (!down || stopped) return;
      log.warn({ documentId }, 'document held: waiting for the shared LLM pool’s Redis');
      await up.promise;
    },
    async start() {
      const deadline = Date.now() + (deps.startupWaitMs ?? 5_000);
      for (;;) {
        try {
          await store.probe();
          deps.onAvailability?.(true);
          return;
        } catch (e) {
          if (Date.now() >= deadline) return markDown((e as Error).message);
        }
        await sleep(Math.min(250, probeEvery));
      }
    },
    stop: release,
  };
}
