export interface ScenarioResult {
  name: string;
  title: string;
  /** The headline ratio and its target (ratio >= target unless lowerIsBetter). */
  metric: { label: string; value: number; target: number; lowerIsBetter?: boolean; informational?: boolean };
  rows: [string, string][];
  params: Record<string, string | number>;
  /** The machine's 1-minute load average when the scenario started and ended (others share it). */
  load?: { start: number; end: number };
}

export interface ScenarioOptions {
  quick: boolean;
  /** When set, the processor child writes a V8 CPU profile (--cpu-prof) here. */
  profileDir?: string | undefined;
}
