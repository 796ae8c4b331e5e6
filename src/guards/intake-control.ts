/**
 * Why intake is paused. Several guards (budget, outage, a service error) can hold it at once;
 * a consumer resumes only when none of the reasons that apply to it holds. The outage guard,
 * for one, pauses new documents but lets retries through, so it can see the API recover.
 */
export type PauseReason = 'budget' | 'outage' | 'service-error' | 'redis' | 'dlq-storm' | 'registry';

/** A reason that holds intake now: what /readyz reports. */
export interface PauseStatus {
  reason: PauseReason;
  detail: string | undefined;
  since: string;
}

export interface IntakeControl {
  pause(reason: PauseReason, detail?: string): void;
  resume(reason: PauseReason): void;
  isPaused(appliesTo?: readonly PauseReason[]): boolean;
  /** The reasons that hold intake now (tests wait on it). */
  reasons(): PauseReason[];
  /** The same with their details and since when: what /readyz says. */
  status(): PauseStatus[];
  /** Called with true when intake becomes paused for these reasons and false when it resumes. */
  subscribe(listener: (paused: boolean) => void, appliesTo?: readonly PauseReason[]): () => void;
}

export const ALL_REASONS: readonly PauseReason[] = ['budget', 'outage', 'service-error', 'redis', 'dlq-storm', 'registry'];

export function createIntakeControl(onChange?: (reason: PauseReason, paused: boolean, detail?: string) => void): IntakeControl {
  const active = new Map<PauseReason, { detail: string | undefined; since: string }>();
  const listeners = new Set<{ fn: (paused: boolean) => void; appliesTo: readonly PauseReason[]; last: boolean }>();
  const pausedFor = (appliesTo: readonly PauseReason[]) => appliesTo.some((r) => active.has(r));
  const notify = () => {
    for (const l of listeners) {
      const now = pausedFor(l.appliesTo);
      if (now !== l.last) {
        l.last = now;
        l.fn(now);
      }
    }
  };
  return {
    pause(reason, detail) {
      if (active.has(reason)) return;
      active.set(reason, { detail, since: new Date().toISOString() });
      onChange?.(reason, true, detail);
      notify();
    },
    resume(reason) {
      if (!active.delete(reason)) return;
      onChange?.(reason, false);
      notify();
    },
    isPaused: (appliesTo = ALL_REASONS) => pausedFor(appliesTo),
    reasons: () => [...active.keys()],
    status: () => [...active].map(([reason, s]) => ({ reason, ...s })),
    subscribe(fn, appliesTo = ALL_REASONS) {
      const l = { fn, appliesTo, last: pausedFor(appliesTo) };
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}
