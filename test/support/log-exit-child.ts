/**
 * A process that logs `count` lines through createLogger and then leaves by one way out
 * (test/unit/log-destination.test.ts counts the lines on its stdout):
 *
 *   node test/support/log-exit-child.ts <mode> <count> [shared]
 *
 * modes: drain (the event loop runs dry), fatal (logger.fatal then process.exit(1), as
 * `enricher start` gives up on Kafka; pino flushes after a fatal line itself), exit (an error line,
 * then process.exit(2), as a bad config or a failed stop), throw (an uncaught exception), reject (an unhandled
 * rejection), signal (waits for SIGTERM, handled by nobody), stop (waits for SIGTERM, handled by
 * stopOnSignals, as the long-running commands do). Without `shared`, the lines go through a
 * buffer that is never flushed by its timer, so only the way out can write them; with it, through
 * the stdout writer every logger of the process shares.
 */
import { stopOnSignals } from '../../src/cli/signals.ts';
import { bufferedDestination } from '../../src/observability/log-destination.ts';
import { createLogger } from '../../src/observability/logger.ts';

const [mode, countArg, shared] = process.argv.slice(2);
const count = Number(countArg);
const logger = createLogger({ level: 'info', ...(shared ? {} : { destination: bufferedDestination({ fd: 1, flushMs: 3_600_000 }) }) });
for (let i = 0; i < count; i++) logger.info({ documentId: `doc-${i}`, route: 'enriched', confidence: 0.9, attempt: 1 }, 'routed');

if (mode === 'fatal') {
  logger.fatal({ giveUpAfterMs: 1 }, 'exiting: Kafka unreachable for too long');
  process.exit(1);
} else if (mode === 'exit') {
  logger.error('exiting: a line below fatal, which pino does not flush by itself');
  process.exit(2);
} else if (mode === 'throw') {
  setImmediate(() => {
    throw new Error('boom');
  });
} else if (mode === 'reject') {
  void Promise.reject(new Error('boom'));
} else if (mode === 'signal' || mode === 'stop') {
  if (mode === 'stop') stopOnSignals({ stop: async () => logger.info('stopping work'), logger, stopping: 'stopping', stopped: 'stopped cleanly', failed: 'failed' });
  setInterval(() => undefined, 1000);
  process.stderr.write('ready\n');
} else if (mode !== 'drain') throw new Error(`unknown mode ${mode}`);
