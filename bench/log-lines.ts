/**
 * Writes `count` `routed` lines (the processor's per-document audit line) through createLogger
 * to stdout, and nothing else: what a line costs, as a whole process, with whoever reads stdout.
 *
 *   node bench/log-lines.ts [count=200000] | cat > /dev/null
 */
import { createLogger } from '../src/observability/logger.ts';

const count = Number(process.argv[2] ?? 200_000);
const logger = createLogger({ level: 'info' });
for (let i = 0; i < count; i++) {
  logger.info({ documentId: `rep-${i}`, route: 'enriched', confidence: 0.9, category: 'business', attempt: 1 }, 'routed');
}
