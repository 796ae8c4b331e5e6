/**
 * Errors that are the service's fault (bad API key, unknown model) must not condemn documents.
 * The first one pauses intake and starts a slow health probe; every document that hit it
 * waits here and is processed again once the probe passes. Service conditions that another
 * guard watches (Redis away, a DLQ storm) wait on that guard instead (`waits`, by error code).
 */
import type { IntakeControl } from './intake-control.ts';
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
  waits?: Partial<Record<ErrorCode, (documentId: string) => Promise<void>>>;
}): ServiceGuard {
  let recovering: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** Ends the wait of every held document on stop: they are handed back uncommitted. */
  let endWait: (() => void) | undefined;

  const fixHint = (e: EnricherError) =>
    e.code === 'LLM_AUTH'
      ? 'check OPENAI_API_KEY (and that the key may use this model)'
      : e.code === 'LLM_UNKNOWN_MODEL'
        ? 'check LLM_MODEL: the API does not know this model'
        : 'check the LLM settings';

  function recover(error: EnricherError): Promise<void> {
    deps.intake.pause('service-error', error.code);
    deps.logger.error({ code: error.code, fix: fixHint(error), probeEveryMs: deps.intervalMs }, `LLM API refuses us (${error.code}): consumption paused; ${fixHint(error)}`);
    return new Promise<void>((resolve) => {
      endWait = resolve;
      const attempt = async () => {
        if (stopped) return resolve();
        try {
          await deps.probe();
          deps.logger.info({ code: error.code }, 'LLM API healthy again: consumption resumed');
          deps.intake.resume('service-error');
          resolve();
        } catch (e) {
          deps.logger.warn({ code: (e as EnricherError).code, err: (e as Error).message }, 'LLM API still unhealthy; probing again later');
          timer = setTimeout(() => void attempt(), deps.intervalMs);
        }
      };
      timer = setTimeout(() => void attempt(), deps.intervalMs);
    });
  }

  return {
    async waitOutServiceError(error, documentId) {
      const elsewhere = deps.waits?.[error.code];
      if (elsewhere) return elsewhere(documentId);
      deps.logger.warn({ documentId, code: error.code }, 'document held: waiting for the LLM API to be usable');
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
