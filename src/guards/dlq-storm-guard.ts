/**
 * The last safety net against a systemic fault: when more than DLQ_STORM_SHARE of the last
 * DLQ_STORM_WINDOW finished documents were dead-lettered for a reason other than their own
 * bytes (INVALID_JSON, SCHEMA_INVALID, DOCUMENT_TOO_LARGE), the fault is probably ours or a
 * dependency's, not the documents'. Then:
 *  - intake of documents.raw and of the retry topics stops (reason "dlq-storm");
 *  - documents in flight that would be dead-lettered are held instead, and processed again on
 *    resume: nothing more reaches the DLQ while the guard is open;
 *  - it logs at error level, counts enricher_dlq_storms_total and writes an alert to
 *    pipeline.alerts (see pipeline-alerts.ts);
 *  - it resumes after DLQ_STORM_COOLDOWN, or at once on `enricher resume`.
 * The window is kept across a resume: if the fault is still there, the next such dead letter
 * stops intake again, so each resume costs at most one document, not a topic.
 */
import { EnricherError, ErrorCodes, isInputProblem } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { IntakeControl } from './intake-control.ts';

export interface StormAlert {
  deadLettered: number;
  window: number;
  share: number;
  codes: Record<string, number>;
  cooldownMs: number;
}

/** The last `size` finished documents: which were dead-lettered for a non-input reason, and why. */
export function createStormWindow(size: number) {
  const ring: (string | undefined)[] = [];
  let next = 0;
  let counted = 0;
  return {
    /** A finished document: the code it was dead-lettered with, or undefined (published, reviewed, or bad input). */
    push(code: string | undefined): void {
      if (ring.length < size) ring.push(code);
      else {
        if (ring[next] !== undefined) counted--;
        ring[next] = code;
      }
      next = (next + 1) % size;
      if (code !== undefined) counted++;
    },
    /** Non-input dead letters among the last `size` documents. */
    get count(): number {
      return counted;
    },
    codes(): Record<string, number> {
      const out: Record<string, number> = {};
      for (const c of ring) if (c !== undefined) out[c] = (out[c] ?? 0) + 1;
      return out;
    },
  };
}

export interface DlqStormGuard {
  /** Asked before a document is dead-lettered: undefined lets it go; an error holds it (a service error to wait out). */
  hold(error: EnricherError): EnricherError | undefined;
  /** Every finished document, with the code when it went to the DLQ. */
  finished(route: 'enriched' | 'review' | 'dlq', code?: string): void;
  /** For a held document: resolves when the guard resumes (or stops). */
  waitForResume(documentId: string): Promise<void>;
  /** The operator's `enricher resume` (who: where it came from), or the cool-down. */
  resume(by: 'operator' | 'cool-down', who?: string): void;
  readonly open: boolean;
  stop(): void;
}

export function createDlqStormGuard(deps: {
  window: number;
  share: number;
  cooldownMs: number;
  intake: IntakeControl;
  logger: Logger;
  onTrip?: (alert: StormAlert) => void;
}): DlqStormGuard {
  const win = createStormWindow(deps.window);
  const limit = deps.share * deps.window;
  let open = false;
  let timer: NodeJS.Timeout | undefined;
  let release: (() => void) | undefined;
  let released: Promise<void> = Promise.resolve();
  let stopped = false;

  function trip(): void {
    open = true;
    released = new Promise<void>((r) => (release = r));
    const alert: StormAlert = { deadLettered: win.count, window: deps.window, share: deps.share, codes: win.codes(), cooldownMs: deps.cooldownMs };
    deps.intake.pause('dlq-storm', `${alert.deadLettered} of the last ${deps.window} documents were dead-lettered (${JSON.stringify(alert.codes)}); resumes after ${Math.round(deps.cooldownMs / 1000)} s or on \`enricher resume\``);
    deps.logger.error(
      { ...alert },
      'DLQ STORM: most recent documents are dead-lettered for reasons that are not their input; intake stopped and further dead letters held. Find the fault, then run `enricher resume` (or wait for the cool-down)',
    );
    deps.onTrip?.(alert);
    timer = setTimeout(() => guard.resume('cool-down'), deps.cooldownMs);
    timer.unref();
  }

  const guard: DlqStormGuard = {
    hold(error) {
      if (!open || isInputProblem(error.code)) return undefined;
      return new EnricherError(`held instead of dead-lettered (${error.code}): the DLQ storm guard stopped intake`, {
        code: ErrorCodes.DLQ_STORM, stage: error.stage, retriable: false, scope: 'service',
      });
    },
    finished(route, code) {
      win.push(route === 'dlq' && code !== undefined && !isInputProblem(code) ? code : undefined);
      if (!open && !stopped && route === 'dlq' && win.count > limit) trip();
    },
    async waitForResume(documentId) {
      if (!open) return;
      deps.logger.warn({ documentId }, 'document held: the DLQ storm guard stopped intake');
      await released;
    },
    resume(by, who) {
      if (!open) return;
      open = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      release?.();
      deps.logger.warn({ by, ...(who ? { who } : {}), deadLettered: win.count, window: deps.window }, 'DLQ storm guard: resuming intake; the next dead letter for a non-input reason stops it again while the share stays high');
      deps.intake.resume('dlq-storm');
    },
    get open() {
      return open;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      release?.();
    },
  };
  return guard;
}
