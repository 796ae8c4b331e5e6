import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIntakeControl } from '../../src/guards/intake-control.ts';
import { EnricherError, ErrorCodes } from '../../src/errors.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createOutageGuard } from '../../src/guards/outage-guard.ts';

const transient = new EnricherError('503', { code: ErrorCodes.LLM_SERVER_ERROR, stage: 'extract', retriable: true });
const permanent = new EnricherError('400', { code: ErrorCodes.LLM_BAD_REQUEST, stage: 'extract', retriable: false });

function setup(opts: { window?: number; failureRatio?: number; baseCooldownMs?: number; maxCooldownMs?: number } = {}) {
  const onChange = vi.fn();
  const intake = createIntakeControl(onChange);
  const guard = createOutageGuard({
    intake,
    window: opts.window ?? 4,
    failureRatio: opts.failureRatio ?? 0.5,
    ...(opts.baseCooldownMs === undefined ? {} : { baseCooldownMs: opts.baseCooldownMs }),
    ...(opts.maxCooldownMs === undefined ? {} : { maxCooldownMs: opts.maxCooldownMs }),
    logger: silentLogger(),
  });
  const fail = (n: number) => {
    for (let i = 0; i < n; i++) guard.record(false, transient);
  };
  const succeed = (n: number) => {
    for (let i = 0; i < n; i++) guard.record(true);
  };
  return { intake, guard, onChange, fail, succeed };
}

describe('OutageGuard', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['trips when the failures in a full window exceed the ratio', 1, 3, true],
    ['does not trip at exactly the ratio', 2, 2, false],
  ])('%s', (_title, successes, failures, trips) => {
    const { guard, intake, fail, succeed } = setup();
    succeed(successes);
    fail(failures);
    expect(guard.open).toBe(trips);
    expect(intake.isPaused()).toBe(trips);
    expect(intake.isPaused(['outage'])).toBe(trips);
    expect(intake.reasons()).toEqual(trips ? ['outage'] : []);
    guard.stop();
  });

  it('waits for a full window before judging', () => {
    const { guard, fail } = setup({ window: 6 });
    fail(5);
    expect(guard.open).toBe(false);
    fail(1);
    expect(guard.open).toBe(true);
    guard.stop();
  });

  it('judges a sliding window: old failures fall out', () => {
    const { guard, fail, succeed } = setup();
    fail(2);
    succeed(2); // [F F S S]: 2/4, not over
    succeed(1); // [F S S S]
    fail(1); // [S S S F]
    fail(1); // [S S F F]: 2/4
    expect(guard.open).toBe(false);
    fail(1); // [S F F F]: 3/4
    expect(guard.open).toBe(true);
    guard.stop();
  });

  it('counts only retriable failures: permanent errors and bare failures do not trip it', () => {
    const { guard } = setup();
    for (let i = 0; i < 20; i++) guard.record(false, permanent);
    for (let i = 0; i < 20; i++) guard.record(false);
    expect(guard.open).toBe(false);
    // Permanent errors count as "the API answered": they dilute transient ones.
    guard.record(false, permanent);
    guard.record(false, permanent);
    guard.record(false, transient);
    guard.record(false, transient);
    expect(guard.open).toBe(false);
    guard.record(false, transient);
    expect(guard.open).toBe(true);
    guard.stop();
  });

  it('counts only the LLM API unwell: a cost event Kafka would not take, or a bad answer, is not an outage', () => {
    const { guard } = setup();
    const kafka = new EnricherError('could not record the cost', { code: ErrorCodes.KAFKA_UNAVAILABLE, stage: 'extract', retriable: true });
    const badOutput = new EnricherError('invalid JSON', { code: ErrorCodes.LLM_BAD_OUTPUT, stage: 'classify', retriable: true });
    for (let i = 0; i < 20; i++) guard.record(false, i % 2 ? kafka : badOutput);
    expect(guard.open).toBe(false);
    for (let i = 0; i < 3; i++) guard.record(false, transient);
    expect(guard.open).toBe(true);
    guard.stop();
  });

  it('resumes intake after the cool-down (half-open)', async () => {
    const { guard, intake, onChange, fail } = setup({ baseCooldownMs: 5000 });
    fail(4);
    expect(onChange).toHaveBeenLastCalledWith('outage', true, expect.stringContaining('4/4'));
    await vi.advanceTimersByTimeAsync(4999);
    expect(guard.open).toBe(true);
    expect(intake.isPaused()).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(guard.open).toBe(false);
    expect(intake.isPaused()).toBe(false);
    expect(onChange).toHaveBeenLastCalledWith('outage', false);
  });

  it('ignores records while open; half-open, trips again as soon as the failures pass the ratio', async () => {
    const { guard, fail, succeed } = setup({ baseCooldownMs: 1000 });
    fail(4);
    expect(guard.open).toBe(true);
    // What was in flight at the trip reports while open: the cool-down decides, not these.
    succeed(3);
    fail(2);
    expect(guard.open).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(guard.open).toBe(false);
    expect(guard.declared).toBe(true); // half-open: not over until the API is seen healthy
    fail(2); // 2 of a window of 4: not yet over the ratio
    expect(guard.open).toBe(false);
    fail(1); // 3: over the ratio whatever comes next, so judged now
    expect(guard.open).toBe(true);
    guard.stop();
  });

  it('declares an outage from the trip until half-open sees enough successes, not only while paused', async () => {
    const { guard, fail, succeed } = setup({ window: 10, failureRatio: 0.5, baseCooldownMs: 1000 });
    succeed(4);
    fail(5);
    expect(guard.declared).toBe(false);
    fail(1); // 6 of 10
    expect(guard.declared).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(guard.open).toBe(false);
    expect(guard.declared).toBe(true);
    fail(5); // 5 of 10 tolerated...
    succeed(4);
    expect(guard.declared).toBe(true);
    succeed(1); // ...and 5 successes: the window can no longer trip, so the outage is over
    expect(guard.declared).toBe(false);
    expect(guard.open).toBe(false);
    guard.stop();
  });

  it('doubles the cool-down on each trip, up to the maximum', async () => {
    const { guard, fail } = setup({ baseCooldownMs: 1000, maxCooldownMs: 5000 });
    const cooldowns: number[] = [];
    for (let trip = 0; trip < 5; trip++) {
      fail(4);
      expect(guard.open).toBe(true);
      let waited = 0;
      while (guard.open) {
        await vi.advanceTimersByTimeAsync(100);
        waited += 100;
        if (waited > 100_000) throw new Error('never resumed');
      }
      cooldowns.push(waited);
    }
    expect(cooldowns).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('uses 5 s as the default base cool-down', async () => {
    const { guard, fail } = setup();
    fail(4);
    await vi.advanceTimersByTimeAsync(4999);
    expect(guard.open).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(guard.open).toBe(false);
  });

  it('resets the growth after a clean window', async () => {
    const { guard, fail, succeed } = setup({ baseCooldownMs: 1000 });
    fail(4);
    await vi.advanceTimersByTimeAsync(1000);
    fail(4);
    await vi.advanceTimersByTimeAsync(1999);
    expect(guard.open).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(guard.open).toBe(false);
    succeed(4); // a full window without failure: the API is back
    fail(4);
    await vi.advanceTimersByTimeAsync(1000);
    expect(guard.open).toBe(false);
  });

  it('stop() clears the pending cool-down timer', async () => {
    const { guard, intake, fail } = setup({ baseCooldownMs: 1000 });
    fail(4);
    expect(vi.getTimerCount()).toBe(1);
    guard.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    // No resume fired after stop.
    expect(intake.isPaused(['outage'])).toBe(true);
  });

  it('stop() without a trip is harmless', () => {
    const { guard } = setup();
    expect(() => guard.stop()).not.toThrow();
    expect(vi.getTimerCount()).toBe(0);
  });
});
