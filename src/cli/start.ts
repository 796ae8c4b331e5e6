/** `enricher start`: the processor (documents.raw and the retry topics), with its HTTP endpoints. */
import type { Command } from 'commander';
import { createProcessor } from '../processes/processor.ts';
import { startHttpEndpoints } from '../observability/http.ts';
import { exitOnConfigError, type Boot } from './boot.ts';
import { SetupError } from '../errors.ts';
import { exitOnSetupError } from './preflight.ts';
import { stopOnSignals } from './signals.ts';

export function registerStartCommand(program: Command, boot: Boot): void {
  program
    .command('start')
    .description('run the processor (consumes documents.raw and the retry topics)')
    .action(async () => {
      const { config, logger } = boot();
      const app = exitOnConfigError(() => createProcessor(config, logger, {
        onFatal: (e) => {
          // A SetupError (a missing ACL) was logged by the app where it was found.
          if (!(e instanceof SetupError)) logger.fatal({ err: e.message, giveUpAfterMs: config.kafka.giveUpAfterMs }, 'exiting: Kafka unreachable for too long');
          process.exit(1);
        },
      }));
      await startHttpEndpoints({ port: config.metrics.port, metrics: app.metrics, readiness: () => app.readiness() });
      stopOnSignals({ stop: () => app.stop(), logger, stopping: 'shutting down: finishing in-flight work', stopped: 'stopped cleanly', failed: 'error during shutdown' });
      try {
        await app.start();
      } catch (e) {
        exitOnSetupError(e, logger);
        throw e;
      }
    });
}
