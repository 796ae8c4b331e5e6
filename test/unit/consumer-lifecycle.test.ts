/**
 * The consumer lifecycle's own logic, with a stand-in for the KafkaJS consumer that keeps the
 * two KafkaJS rules the combined-faults run tripped on: pause() and resume() throw unless the
 * consumer runs ("Consumer group was not initialized"), and every (re)start begins with an empty
 * pause list. How the real consumer behaves against a real broker is the combined-faults test's
 * (test/e2e/combined-faults.test.ts); here, the restart loop and the pause bookkeeping.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBrokerWatchdog } from '../../src/kafka/broker-watchdog.ts';
import { createConsumerLifecycle, restartDelay, type LifecycleConsumer } from '../../src/kafka/consumer-lifecycle.ts';
import { silentLogger } from '../../src/observability/logger.ts';

const EVENTS = { GROUP_JOIN: 'join', HEARTBEAT: 'heartbeat', FETCH: 'fetch', CRASH: 'crash' };

class StandInConsumer {
  readonly events = EVENTS;
  running = false;
  pausedTopics = new Set<string>();
  connectError: Error | undefined;
  disconnected = false;
  private handlers = new Map<string, ((e: { payload: Record<string, unknown> }) => void)[]>();
  on(event: string, fn: (e: { payload: Record<string, unknown> }) => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
    return () => undefined;
  }
  emit(event: string, payload: Record<string, unknown>) {
    for (const fn of this.handlers.get(event) ?? []) fn({ payload });
  }
  async connect() {
    if (this.connectError) throw this.connectError;
  }
  async subscribe() {}
  run() {
    this.running = true;
    this.pausedTopics.clear();
    return Promise.resolve();
  }
  private needRunning() {
    if (!this.running) throw new Error('Consumer group was not initialized, consumer#run must be called first');
  }
  pause(tps: { topic: string }[]) {
    this.needRunning();
    for (const t of tps) this.pausedTopics.add(t.topic);
  }
  resume(tps: { topic: string }[]) {
    this.needRunning();
    for (const t of tps) this.pausedTopics.delete(t.topic);
  }
  seek() {
    this.needRunning();
  }
  async disconnect() {
    this.running = false;
    this.disconnected = true;
  }
  /** A crash as KafkaJS reports one: it has already stopped and disconnected. */
  crash(restart: boolean, message = 'Failed to find group coordinator') {
    this.running = false;
    this.emit(EVENTS.CRASH, { error: new Error(message), restart });
  }
  /** KafkaJS restarting by itself (restart: true): a new group, an empty pause list, then a join. */
  restartByItself() {
    this.running = true;
    this.pausedTopics.clear();
    this.emit(EVENTS.GROUP_JOIN, { memberAssignment: { in: [0] } });
  }
}

function setup(opts: { giveUpAfterMs?: number; paused?: boolean } = {}) {
  const made: StandInConsumer[] = [];
  let nextConnectErrors: (Error | undefined)[] = [];
  let stopping = false;
  const watchdog = createBrokerWatchdog({ giveUpAfterMs: opts.giveUpAfterMs ?? 300_000, isStopping: () => stopping, log: silentLogger() });
  const lifecycle = createConsumerLifecycle({
    kafka: {
      consumer: () => {
        const c = new StandInConsumer();
        c.connectError = nextConnectErrors.shift();
        made.push(c);
        return c as unknown as LifecycleConsumer;
      },
    },
    groupId: 'g', topics: ['in'], sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000,
    eachBatch: async () => undefined, onAssignment: () => undefined,
    intakePaused: () => opts.paused ?? false,
    watchdog, isStopping: () => stopping, log: silentLogger(),
    restartDelayMs: 1_000, restartMaxDelayMs: 8_000,
  });
  return {
    lifecycle, made, watchdog,
    failNextConnects: (n: number) => (nextConnectErrors = Array.from({ length: n }, () => new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'))),
    current: () => made[made.length - 1]!,
    stop: () => (stopping = true),
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('consumer lifecycle', () => {
  it('starts paused when intake is paused at start, without calling pause before run', async () => {
    const t = setup({ paused: true });
    await t.lifecycle.start();
    expect(t.current().running).toBe(true);
    expect([...t.current().pausedTopics]).toEqual(['in']);
  });

  it('never throws on pause or resume while no consumer runs, and applies the last of them when one runs again', async () => {
    const t = setup();
    await t.lifecycle.start();
    t.current().crash(false);
    t.failNextConnects(1);
    expect(() => t.lifecycle.pause()).not.toThrow();
    expect(() => t.lifecycle.seek('in', 0, '5')).not.toThrow();
    await vi.advanceTimersByTimeAsync(1_300); // first restart: connect refused
    expect(t.made).toHaveLength(2);
    expect(() => t.lifecycle.resume()).not.toThrow();
    expect(() => t.lifecycle.pause()).not.toThrow();
    await vi.advanceTimersByTimeAsync(2_500); // second restart: runs
    expect(t.made).toHaveLength(3);
    expect(t.current().running).toBe(true);
    expect([...t.current().pausedTopics]).toEqual(['in']);
    t.lifecycle.resume();
    expect([...t.current().pausedTopics]).toEqual([]);
  });

  it('keeps restarting with a growing delay until a restart succeeds', async () => {
    const t = setup();
    await t.lifecycle.start();
    t.failNextConnects(5);
    t.current().crash(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.made).toHaveLength(1 + 6); // five refused restarts, then one that runs
    expect(t.current().running).toBe(true);
    expect(t.made.slice(1, 6).every((c) => c.disconnected)).toBe(true); // none of the failed ones left connected
  });

  it('stops trying once the watchdog gives up, counted from the last contact', async () => {
    const t = setup({ giveUpAfterMs: 20_000 });
    await t.lifecycle.start();
    t.failNextConnects(1000);
    t.current().crash(false);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.watchdog.fatal).toBe(true);
    const made = t.made.length;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(t.made.length).toBe(made);
  });

  it('re-applies a pause after KafkaJS restarted the consumer by itself', async () => {
    const t = setup();
    await t.lifecycle.start();
    t.lifecycle.pause();
    t.current().crash(true, 'The coordinator is loading');
    t.current().restartByItself();
    expect([...t.current().pausedTopics]).toEqual(['in']);
    expect(t.made).toHaveLength(1);
  });

  it('makes no restart after disconnect', async () => {
    const t = setup();
    await t.lifecycle.start();
    t.current().crash(false);
    await t.lifecycle.disconnect();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.made).toHaveLength(1);
  });
});

describe('restart delay', () => {
  it('doubles from the first delay up to the cap, within ±20 %', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => restartDelay(n, 1_000, 8_000, () => 0.5))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(restartDelay(0, 1_000, 8_000, () => 0)).toBe(800);
    expect(restartDelay(0, 1_000, 8_000, () => 1)).toBe(1_200);
  });
});
