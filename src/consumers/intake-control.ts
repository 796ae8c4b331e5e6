/**
 * Why intake is paused. Several guards (budget, outage, a service error) can hold it at once;
 * intake resumes only when none does. Consumers subscribe and pause/resume their topics.
 */
export type PauseReason = 'budget' | 'outage' | 'service-error' | 'shutdown';

export interface IntakeControl {
  pause(reason: PauseReason, detail?: string): void;
  resume(reason: PauseReason): void;
  isPaused(): boolean;
  reasons(): PauseReason[];
  /** Called with true when intake becomes paused and false when it resumes. */
  subscribe(listener: (paused: boolean) => void): () => void;
}

export function createIntakeControl(onChange?: (reason: PauseReason, paused: boolean, detail?: string) => void): IntakeControl {
  const active = new Set<PauseReason>();
  const listeners = new Set<(paused: boolean) => void>();
  const notify = (paused: boolean) => {
    for (const l of listeners) l(paused);
  };
  return {
    pause(reason, detail) {
      if (active.has(reason)) return;
      const was = active.size > 0;
      active.add(reason);
      onChange?.(reason, true, detail);
      if (!was) notify(true);
    },
    resume(reason) {
      if (!active.delete(reason)) return;
      onChange?.(reason, false);
      if (active.size === 0) notify(false);
    },
    isPaused: () => active.size > 0,
    reasons: () => [...active],
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
