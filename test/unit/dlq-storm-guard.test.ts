/** The DLQ storm guard: its window, when it trips, what it holds, and how it resumes. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EnricherError, ErrorCodes, type ErrorCode } from '../../src/errors.ts';
import { createDlqStormGuard, createStormWindow, type StormAlert } from '../../src/guards/dlq-storm-guard.ts';
import { createIntakeControl } from '../../src/guards/intake-control.ts';
import { silentLogger } from '../../src/observability/logger.ts';

const err = (code: ErrorCode) => new EnricherError(code, { code, stage: 'summarize', retriable: false });

afterEach(() => vi.useRealTimers());

describe('createStormWindow', () => {
  it('counts the non-input dead letters among the last N documents only', () => {
    const w = createStormWindow(4);
    for (const c of ['A', undefined, 'B', 'A']) w.push(c);
    expect(w.count).toBe(3);
    expect(w.codes()).toEqual({ A: 2, B: 1 });
    w.push(undefined); // pushes out the first 'A'
    expect(w.count).toBe(2);
    expect(w.codes()).toEqual({ A: 1, B: 1 });
    for (let i = 0; i < 4; i++) w.push(undefined);
    expect(w.count).toBe(0);
  });
});

function guard(opts: { window?: number; share?: number; cooldownMs?: number } = {}) {
  const intake = createIntakeControl();
  const alerts: StormAlert[] = [];
  const g = createDlqStormGuard({ window: opts.window ?? 10, share: opts.share ?? 0.5, cooldownMs: opts.cooldownMs ?? 60_000, intake, logger: silentLogger(), onTrip: (a) => alerts.push(a) });
  /** One document dead-lettered through the guard, as the document handler does; false when held. */
  const deadLetter = (code: ErrorCode) => {
    if (g.hold(err(code))) return false;
    g.finished('dlq', code);
    return true;
  };
  return { g, intake, alerts, deadLetter };
}

describe('DLQ storm guard', () => {
  it('trips when more than share × window of the last window documents are non-input dead letters, and holds the rest', () => {
    const { g, intake, alerts, deadLetter } = guard({ window: 10, share: 0.5 });
    for (let i = 0; i < 5; i++) expect(deadLetter(ErrorCodes.LLM_BAD_REQUEST)).toBe(true);
    expect(g.open).toBe(false); // 5 of 10 is not more than half
    expect(deadLetter(ErrorCodes.LLM_BAD_REQUEST)).toBe(true); // the 6th goes, and trips it
    expect(g.open).toBe(true);
    expect(intake.reasons()).toEqual(['dlq-storm']);
    expect(intake.status()[0]!.detail).toContain('6 of the last 10');
    expect(alerts).toEqual([{ deadLettered: 6, window: 10, share: 0.5, codes: { LLM_BAD_REQUEST: 6 }, cooldownMs: 60_000 }]);
    // Held from now on: nothing more reaches the DLQ for a non-input reason…
    const held = g.hold(err(ErrorCodes.LLM_REFUSED));
    expect(held?.code).toBe(ErrorCodes.DLQ_STORM);
    expect(held?.scope).toBe('service');
    // …while a document's own bad bytes still go.
    expect(deadLetter(ErrorCodes.INVALID_JSON)).toBe(true);
  });

  it('does not count input problems, published or reviewed documents as storm', () => {
    const { g, deadLetter } = guard({ window: 10, share: 0.5 });
    for (let i = 0; i < 30; i++) expect(deadLetter(i % 2 ? ErrorCodes.SCHEMA_INVALID : ErrorCodes.DOCUMENT_TOO_LARGE)).toBe(true);
    for (let i = 0; i < 5; i++) expect(deadLetter(ErrorCodes.LLM_SERVER_ERROR)).toBe(true);
    for (let i = 0; i < 5; i++) g.finished(i % 2 ? 'enriched' : 'review');
    expect(g.open).toBe(false);
  });

  it('spreads over the window: successes in between keep the share under the limit', () => {
    const { g, deadLetter } = guard({ window: 10, share: 0.5 });
    for (let i = 0; i < 100; i++) {
      deadLetter(ErrorCodes.LLM_BAD_REQUEST);
      g.finished('enriched');
    }
    expect(g.open).toBe(false);
  });

  it('resumes after the cool-down and releases held documents; the next storm dead letter stops it again', async () => {
    vi.useFakeTimers();
    const { g, intake, alerts, deadLetter } = guard({ window: 4, share: 0.5, cooldownMs: 30_000 });
    for (let i = 0; i < 3; i++) deadLetter(ErrorCodes.LLM_BAD_REQUEST);
    expect(g.open).toBe(true);
    let released = false;
    void g.waitForResume('doc-1').then(() => (released = true));
    await vi.advanceTimersByTimeAsync(29_000);
    expect(released).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(released).toBe(true);
    expect(g.open).toBe(false);
    expect(intake.isPaused()).toBe(false);
    // Half-open: the fault is still there, so one more such dead letter trips it again.
    expect(deadLetter(ErrorCodes.LLM_BAD_REQUEST)).toBe(true);
    expect(g.open).toBe(true);
    expect(alerts).toHaveLength(2);
    expect(deadLetter(ErrorCodes.LLM_BAD_REQUEST)).toBe(false);
    g.stop();
  });

  it('resumes at once on the operator’s command', async () => {
    const { g, intake, deadLetter } = guard({ window: 4, share: 0.5, cooldownMs: 3_600_000 });
    for (let i = 0; i < 3; i++) deadLetter(ErrorCodes.LLM_REFUSED);
    const waiting = g.waitForResume('doc-2');
    g.resume('operator', 'enricher-cli@host');
    await waiting;
    expect(g.open).toBe(false);
    expect(intake.reasons()).toEqual([]);
    g.stop();
  });

  it('releases held documents on stop (they are handed back uncommitted)', async () => {
    const { g, deadLetter } = guard({ window: 4, share: 0.5 });
    for (let i = 0; i < 3; i++) deadLetter(ErrorCodes.LLM_REFUSED);
    const waiting = g.waitForResume('doc-3');
    g.stop();
    await waiting;
    expect(g.open).toBe(true);
  });
});
