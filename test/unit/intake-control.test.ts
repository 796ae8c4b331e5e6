import { describe, expect, it, vi } from 'vitest';
import { ALL_REASONS, createIntakeControl } from '../../src/guards/intake-control.ts';

describe('IntakeControl', () => {
  it('is paused while any reason holds, and lists the reasons', () => {
    const c = createIntakeControl();
    expect(c.isPaused()).toBe(false);
    expect(c.reasons()).toEqual([]);
    c.pause('budget');
    c.pause('outage');
    expect(c.isPaused()).toBe(true);
    expect(c.reasons().sort()).toEqual(['budget', 'outage']);
    c.resume('budget');
    expect(c.isPaused()).toBe(true);
    expect(c.reasons()).toEqual(['outage']);
    c.resume('outage');
    expect(c.isPaused()).toBe(false);
    expect(c.reasons()).toEqual([]);
  });

  it('answers isPaused for a subset of reasons', () => {
    const c = createIntakeControl();
    c.pause('outage');
    expect(c.isPaused(['budget', 'service-error'])).toBe(false);
    expect(c.isPaused(['outage'])).toBe(true);
    expect(c.isPaused(ALL_REASONS)).toBe(true);
    expect(c.isPaused([])).toBe(false);
  });

  it('calls onChange once per real change, with the detail on pause', () => {
    const onChange = vi.fn();
    const c = createIntakeControl(onChange);
    c.pause('budget', 'spent $10.00 of $10.00');
    c.pause('budget', 'again');
    c.resume('budget');
    c.resume('budget');
    c.resume('outage');
    expect(onChange.mock.calls).toEqual([
      ['budget', true, 'spent $10.00 of $10.00'],
      ['budget', false],
    ]);
  });

  it('notifies a listener only when its own paused state changes', () => {
    const c = createIntakeControl();
    const raw = vi.fn();
    c.subscribe(raw);
    c.pause('budget');
    c.pause('outage'); // already paused: no call
    c.pause('outage'); // no change at all
    c.resume('budget'); // still paused for outage: no call
    expect(raw.mock.calls).toEqual([[true]]);
    c.resume('outage');
    expect(raw.mock.calls).toEqual([[true], [false]]);
  });

  it('does not pause a retry consumer (budget, service-error) for an outage', () => {
    const c = createIntakeControl();
    const raw = vi.fn();
    const retry = vi.fn();
    c.subscribe(raw);
    c.subscribe(retry, ['budget', 'service-error']);
    c.pause('outage');
    expect(raw.mock.calls).toEqual([[true]]);
    expect(retry).not.toHaveBeenCalled();
    c.pause('service-error');
    expect(retry.mock.calls).toEqual([[true]]);
    expect(raw.mock.calls).toEqual([[true]]);
    c.resume('service-error');
    expect(retry.mock.calls).toEqual([[true], [false]]);
    // raw is still held by the outage.
    expect(raw.mock.calls).toEqual([[true]]);
    c.resume('outage');
    expect(raw.mock.calls).toEqual([[true], [false]]);
    expect(retry.mock.calls).toEqual([[true], [false]]);
  });

  it('starts a listener from the current state, so it hears a resume after subscribing while paused', () => {
    const c = createIntakeControl();
    c.pause('budget');
    const l = vi.fn();
    c.subscribe(l);
    expect(l).not.toHaveBeenCalled();
    c.pause('outage');
    expect(l).not.toHaveBeenCalled();
    c.resume('budget');
    c.resume('outage');
    expect(l.mock.calls).toEqual([[false]]);
  });

  it('stops calling a listener after unsubscribe', () => {
    const c = createIntakeControl();
    const a = vi.fn();
    const b = vi.fn();
    const unsubscribe = c.subscribe(a);
    c.subscribe(b);
    unsubscribe();
    c.pause('budget');
    expect(a).not.toHaveBeenCalled();
    expect(b.mock.calls).toEqual([[true]]);
  });
});
