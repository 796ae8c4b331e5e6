/**
 * The processor in this process, on a test's config: started now, and stopped when the test
 * ends. Stopping it earlier (to restart it, say) is fine: it is stopped once.
 */
import { onTestFinished } from 'vitest';
import { createProcessor, type Processor, type ProcessorOverrides } from '../../src/processes/processor.ts';
import type { Config } from '../../src/config.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { testLogger } from './logger.ts';

export async function startTestApp(config: Config, overrides: ProcessorOverrides = {}, logger: Logger = testLogger()): Promise<Processor> {
  const app = createProcessor(config, logger, overrides);
  const stop = app.stop.bind(app);
  let stopped: Promise<void> | undefined;
  app.stop = () => (stopped ??= stop());
  onTestFinished(() => app.stop());
  await app.start();
  return app;
}
