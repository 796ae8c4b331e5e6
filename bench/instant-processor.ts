/**
 * The processor as `enricher start` runs it, but with the instant provider: its own process, so
 * that its CPU (and its CPU profile) is its own. The replay and instant scenarios run it; a
 * replay with a warm result cache never reaches the provider at all.
 *
 *   npx node bench/instant-processor.ts [--local-pool] [--profile DIR]
 *
 * --local-pool: the pool of one instance even with REDIS_URL (which then serves the result cache
 *   only), for a first pass that fills the cache faster than the shared pool takes calls.
 * --profile DIR: a V8 CPU profile from the moment the processor has started to the moment it
 *   is told to stop, written to DIR: start-up (loading and compiling modules) and shutdown left
 *   out, so that its shares are those of the work per document.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { createProcessor } from '../src/processes/processor.ts';
import { boot } from '../src/cli/boot.ts';
import { stopOnSignals } from '../src/cli/signals.ts';
import { createInstanceLimiter } from '../src/llm/limiter/create-limiter.ts';
import { createInstantProvider } from './instant-provider.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const { config, logger } = boot();
const app = createProcessor(config, logger, {
  provider: createInstantProvider(config.llm.model),
  ...(process.argv.includes('--local-pool') ? { limiter: createInstanceLimiter(config, logger) } : {}),
});

const profileDir = arg('--profile');
let session: Session | undefined;
async function stopProfile(): Promise<void> {
  if (!session || !profileDir) return;
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(join(profileDir, `processor-${Date.now()}-${process.pid}.cpuprofile`), JSON.stringify(profile));
  session.disconnect();
  session = undefined;
}

stopOnSignals({
  stop: async () => {
    await stopProfile();
    await app.stop();
  },
  logger, stopping: 'stopping', failed: 'error during shutdown',
});
await app.start();
if (profileDir) {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
}
