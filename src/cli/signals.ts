/**
 * SIGTERM / SIGINT for long-running commands: stop once (a second signal while stopping is
 * ignored), exit 0 when the stop finished cleanly and 1 when it failed.
 */
import type { Logger } from '../observability/logger.ts';

export function stopOnSignals(deps: { stop: () => Promise<void>; logger: Logger; stopping: string; stopped?: string; failed: string }): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.logger.info({ signal }, deps.stopping);
    try {
      await deps.stop();
      if (deps.stopped) deps.logger.info(deps.stopped);
      process.exit(0);
    } catch (e) {
      deps.logger.error({ err: e }, deps.failed);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
