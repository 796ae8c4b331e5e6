/**
 * Errors that are the service's fault (bad API key, unknown model, a schema registry that does
 * not answer) must not condemn documents. The first one pauses intake and starts a slow health
 * probe; every document that hit it waits here and is processed again once the probe passes.
 * Service conditions that another guard watches (Redis away, a DLQ storm, the registry) wait on
 * that guard instead (`waits`, by error code).
 */
import type { IntakeControl, PauseReason } from './intake-control.ts';
import type { EnricherError, ErrorCode } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';

export interface ServiceGuard {
  waitOutServiceError(error: EnricherError, documentId: string): Promise<void>;
  stop(): void;
}

export function createServiceGuard(deps: {
  intake: IntakeControl;
  probe: () => Promise<void>;
  intervalMs: number;
  logger: Logger;
  /** Service conditions another guard waits out, by error code. */
  waits?: Partial<Record<ErrorCode, (error: EnricherError, documentId: string) => Promise<void>>>;
  /** Defaults to the LLM API's: 'service-error', "LLM API", and its settings as the hint. */
  reason?: PauseReason;
  service?: string;
  fixHint?: (e: EnricherError) => string;
}): ServiceGuard {
  const reason = deps.reason ?? 'service-error';
  const service = deps.service ?? 'LLM API';
  let recovering: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** Ends the wait of every held document on stop: they are handed back uncommitted. */
  let endWait: (() => void) | undefined;

  const fixHint = deps.fixHint ?? ((e: EnricherError) =>
    e.code === 'LLM_AUTH'
      ? 'check OPENAI_API_KEY (and that the key may use this model)'
      : e.code === 'LLM_UNKNOWN_MODEL'
        ? 'check LLM_MODEL: the API does not know this model'
        : 'check the LLM settings');

  function recover(error: EnricherError): Promise<void> {
    deps.intake.pause(reason, error.code);
    deps.logger.error({ code: error.code, err: error.message.slice(0, 500), fix: fixHint(error), probeEveryMs: deps.intervalMs }, `${service} refuses us (${error.code}): consumption paused; ${fixHint(error)}`);
    return new Promise<void>((resolve) => {
      endWait = resolve;
      const attempt = async () => {
        if (stopped) return resolve();
        try {
          await deps.probe();
          deps.logger.info({ code: error.code }, `${service} healthy again: consumption resumed`);
          deps.intake.resume(reason);
          resolve();
        } catch (e) {
          deps.logger.warn({ code: (e as EnricherError).code, err: (e as Error).message }, `${service} still unhealthy; probing again later`);
          timer = setTimeout(() => void attempt(), deps.intervalMs);
        }
      };
      timer = setTimeout(() => void attempt(), deps.intervalMs);
    });
  }

  return {
    async waitOutServiceError(error, documentId) {
      const elsewhere = deps.waits?.[error.code];
      if (elsewhere) return elsewhere(error, documentId);
      deps.logger.warn({ documentId, code: error.code }, `document held: waiting for the ${service} to be usable`);
      recovering ??= recover(error).finally(() => {
        recovering = undefined;
      });
      await recovering;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      endWait?.();
    },
  };
}
