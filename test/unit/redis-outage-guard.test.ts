/**
 * The Redis outage guard over a fake shared pool: what waits, what runs where, and when, in
 * REDIS_OUTAGE=pause and =local. The real Redis is in test/integration/redis-outage.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes, type EnricherError } from '../../src/errors.ts';
import { createIntakeControl } from '../../src/guards/intake-control.ts';
import { createRedisOutageGuard } from '../../src/guards/redis-outage-guard.ts';
import type { LlmLimiter, SharedStore } from '../../src/llm/limiter/limiter.ts';
import { createLocalLimiter } from '../../src/llm/limiter/local-pool.ts';
import { createLogger, silentLogger } from '../../src/observability/logger.ts';
import { sleep } from '../support/time.ts';


/** A shared pool whose slots are granted only while `granting`, with a store whose health the test sets. */
function fakeShared() {
  let lost: ((reason: string) => void) | undefined;
  const queue: (() => void)[] = [];
  const f = {
    healthy: true,
    granting: true,
    runs: 0,
    failNext: undefined as Error | undefined,
    lose(reason = 'the connection to Redis closed') {
      f.healthy = false;
      lost?.(reason);
    },
    grant() {
      f.granting = true;
      for (const run of queue.splice(0)) run();
    },
  };
  const store: SharedStore = {
    where: 'redis://fake:6379',
    probe: async () => {
      if (!f.healthy) throw new Error('Redis connection is reconnecting');
    },
    onLost: (l) => void (lost = l),
  };
  const limiter: LlmLimiter & { store: SharedStore } = {
    scope: 'global', weighted: false, store,
    schedule<T>(_w: number, fn: () => Promise<T>): Promise<T> {
      if (f.failNext) {
        const e = f.failNext;
        f.failNext = undefined;
        return Promise.reject(e);
      }
      return new Promise<T>((resolve, reject) => {
        const run = () => {
          f.runs++;
          fn().then(resolve, reject);
        };
        if (f.granting) run();
        else queue.push(run);
      });
    },
    hold: () => undefined,
    running: async () => 0,
    stop: async () => undefined,
  };
  return { f, limiter };
}

function logs() {
  const lines: { level: string; msg: string }[] = [];
  return { lines, logger: createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } }) };
}

async function until(cond: () => boolean, ms = 2_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('Redis outage guard, REDIS_OUTAGE=pause', () => {
  it('pauses intake and every new call while Redis is away, and resumes both when it answers', async () => {
    const { f, limiter: shared } = fakeShared();
    const intake = createIntakeControl();
    const g = createRedisOutageGuard({ shared, mode: 'pause', intake, logger: silentLogger(), probeIntervalMs: 10 });
    expect(await g.limiter.schedule(1, async () => 'ok')).toBe('ok');

    f.lose();
    expect(g.available).toBe(false);
    expect(intake.reasons()).toEqual(['redis']);
    expect(intake.status()[0]!.detail).toContain('redis://fake:6379');
    let calls = 0;
    const waiting = g.limiter.schedule(1, async () => ++calls);
    await sleep(80);
    expect(calls).toBe(0); // not run anywhere while Redis is away

    f.healthy = true;
    expect(await waiting).toBe(1);
    expect(g.available).toBe(true);
    expect(intake.isPaused()).toBe(false);
  });

  it('takes back a call still waiting for a slot in the lost pool and runs it once, after Redis returns', async () => {
    const { f, limiter: shared } = fakeShared();
    const g = createRedisOutageGuard({ shared, mode: 'pause', intake: createIntakeControl(), logger: silentLogger(), probeIntervalMs: 10 });
    f.granting = false;
    let calls = 0;
    const p = g.limiter.schedule(1, async () => ++calls);
    await sleep(10);
    f.lose();
    f.grant(); // the lost pool grants the old job late: it must not call
    await sleep(30);
    expect(calls).toBe(0);
    f.healthy = true;
    expect(await p).toBe(1);
    expect(calls).toBe(1);
  });

  it('lets a call that was on the wire finish with its answer, and takes no new slot until it has', async () => {
    const { f, limiter: shared } = fakeShared();
    const g = createRedisOutageGuard({ shared, mode: 'pause', intake: createIntakeControl(), logger: silentLogger(), probeIntervalMs: 10 });
    let finish!: (v: string) => void;
    const onWire = g.limiter.schedule(1, () => new Promise<string>((r) => (finish = r)));
    await until(() => f.runs === 1);
    f.lose();
    f.healthy = true; // Redis answers again at once…
    const next = g.limiter.schedule(1, async () => 'next');
    await sleep(60);
    expect(f.runs).toBe(1); // …but the new call waits for the one whose slot Redis lost
    finish('answer');
    expect(await onWire).toBe('answer');
    expect(await next).toBe('next');
  });

  it('treats a Redis error from the pool before the call started as an outage, not the document’s failure', async () => {
    const { f, limiter: shared } = fakeShared();
    const intake = createIntakeControl();
    const g = createRedisOutageGuard({ shared, mode: 'pause', intake, logger: silentLogger(), probeIntervalMs: 10 });
    f.failNext = Object.assign(new Error('Reached the max retries per request limit (which is 20).'), { name: 'MaxRetriesPerRequestError' });
    f.healthy = false;
    const p = g.limiter.schedule(1, async () => 'done');
    await until(() => intake.reasons().includes('redis'));
    f.healthy = true;
    expect(await p).toBe('done');
  });

  it('passes on other errors of the pool and of the call itself', async () => {
    const { f, limiter: shared } = fakeShared();
    const g = createRedisOutageGuard({ shared, mode: 'pause', intake: createIntakeControl(), logger: silentLogger(), probeIntervalMs: 10 });
    f.failNext = new TypeError('a bug');
    await expect(g.limiter.schedule(1, async () => 'x')).rejects.toThrow('a bug');
    await expect(g.limiter.schedule(1, async () => Promise.reject(new Error('LLM 500')))).rejects.toThrow('LLM 500');
    expect(g.available).toBe(true);
  });

  it('on stop, a waiting call ends with a service error (the document is handed back, not dead-lettered)', async () => {
    const { f, limiter: shared } = fakeShared();
    const g = createRedisOutageGuard({ shared, mode: 'pause', intake: createIntakeControl(), logger: silentLogger(), probeIntervalMs: 10 });
    f.lose();
    const p = g.limiter.schedule(1, async () => 'never');
    await g.limiter.stop();
    const e = (await p.catch((x: unknown) => x)) as EnricherError;
    expect(e.code).toBe(ErrorCodes.REDIS_UNAVAILABLE);
    expect(e.scope).toBe('service');
  });

  it('start() marks Redis away when it does not answer at start-up', async () => {
    const { f, limiter: shared } = fakeShared();
    f.healthy = false;
    const intake = createIntakeControl();
    const g = createRedisOutageGuard({ shared, mode: 'pause', intake, logger: silentLogger(), probeIntervalMs: 10, startupWaitMs: 30 });
    await g.start();
    expect(intake.reasons()).toEqual(['redis']);
    f.healthy = true;
    await until(() => g.available);
    await g.limiter.stop();
  });
});

describe('Redis outage guard, REDIS_OUTAGE=local', () => {
  it('runs calls in the local pool while Redis is away, warns at the switch and at the switch back, never pauses intake', async () => {
    const { f, limiter: shared } = fakeShared();
    const intake = createIntakeControl();
    const { lines, logger } = logs();
    const fallback = { pool: createLocalLimiter({ slots: 2, logger: silentLogger() }), slots: 2 };
    const g = createRedisOutageGuard({ shared, mode: 'local', fallback, intake, logger, probeIntervalMs: 10 });
    f.lose();
    const runsBefore = f.runs;
    expect(await g.limiter.schedule(1, async () => 'local')).toBe('local');
    expect(f.runs).toBe(runsBefore); // not through the shared pool
    expect(intake.isPaused()).toBe(false);
    f.healthy = true;
    await until(() => g.available);
    expect(await g.limiter.schedule(1, async () => 'shared')).toBe('shared');
    expect(f.runs).toBe(runsBefore + 1);
    const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings.some((m) => m.includes("switch to this instance's own pool"))).toBe(true);
    expect(warnings.some((m) => m.includes('switch back to the shared pool'))).toBe(true);
    await g.limiter.stop();
  });

  it('at the switch, this instance\'s shared calls still on the wire take local slots first', async () => {
    const { f, limiter: shared } = fakeShared();
    const fallback = { pool: createLocalLimiter({ slots: 2, logger: silentLogger() }), slots: 2 };
    const g = createRedisOutageGuard({ shared, mode: 'local', fallback, intake: createIntakeControl(), logger: silentLogger(), probeIntervalMs: 10 });
    let onWire = 0;
    let maxOnWire = 0;
    const finishers: (() => void)[] = [];
    const call = () => g.limiter.schedule(1, () => new Promise<void>((r) => {
      maxOnWire = Math.max(maxOnWire, ++onWire);
      finishers.push(() => { onWire--; r(); });
    }));
    const fromShared = call();
    await until(() => onWire === 1);
    f.lose(); // the shared call stays on the wire; its answer still counts
    const locals = [call(), call()];
    await sleep(80);
    expect(onWire).toBe(2); // one shared, one local: never three on two slots
    finishers.shift()!(); // the shared call ends
    await fromShared;
    await until(() => onWire === 2); // its slot goes to the second local call
    expect(maxOnWire).toBe(2);
    for (const done of finishers.splice(0)) done();
    await Promise.all(locals);
    f.healthy = true;
    await until(() => g.available);
    await g.limiter.stop();
  });

  it('never has local and shared calls on the wire at once: the switch back waits for the local ones', async () => {
    const { f, limiter: shared } = fakeShared();
    const fallback = { pool: createLocalLimiter({ slots: 1, logger: silentLogger() }), slots: 1 };
    const g = createRedisOutageGuard({ shared, mode: 'local', fallback, intake: createIntakeControl(), logger: silentLogger(), probeIntervalMs: 10 });
    f.lose();
    let finish!: () => void;
    let localCalls = 0;
    const slow = g.limiter.schedule(1, () => new Promise<void>((r) => { localCalls++; finish = r; }));
    const queued = g.limiter.schedule(1, async () => 'moved'); // waits for the one local slot
    await until(() => localCalls === 1);
    const sharedBefore = f.runs;
    f.healthy = true;
    await sleep(60);
    expect(g.available).toBe(false); // returning: the local call is still on the wire
    expect(f.runs).toBe(sharedBefore);
    finish();
    await slow;
    expect(await queued).toBe('moved');
    expect(f.runs).toBe(sharedBefore + 1); // the queued call went to the shared pool, not the local one
    await g.limiter.stop();
  });
});
