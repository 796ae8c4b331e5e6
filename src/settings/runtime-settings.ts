/**
 * Settings that may change while the service runs (the quality threshold, the daily budget).
 * Readers call the getters each time; the pipeline.config topic, when wired, updates them.
 */
export interface RuntimeSettings {
  qualityThreshold(): number;
  dailyBudgetUsd(): number | undefined;
}

export interface MutableRuntimeSettings extends RuntimeSettings {
  set(name: 'quality_threshold' | 'daily_budget_usd', value: number | undefined): void;
  onChange(listener: (name: string) => void): void;
}

export function createRuntimeSettings(initial: { qualityThreshold: number; dailyBudgetUsd: number | undefined }): MutableRuntimeSettings {
  let threshold = initial.qualityThreshold;
  let budget = initial.dailyBudgetUsd;
  const listeners: ((name: string) => void)[] = [];
  return {
    qualityThreshold: () => threshold,
    dailyBudgetUsd: () => budget,
    set(name, value) {
      if (name === 'quality_threshold' && value !== undefined) threshold = value;
      if (name === 'daily_budget_usd') budget = value;
      for (const l of listeners) l(name);
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
