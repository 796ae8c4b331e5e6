/**
 * The secured broker is started by the security tests that need it (test/support/secure-kafka.ts),
 * not for every run; after the run, this stops it if a test started it (.ci/run starts and stops
 * it itself).
 */
import { rmSync } from 'node:fs';
import { STARTED_BY_TESTS, stopSecureStackIfTestsStartedIt } from '../support/secure-kafka.ts';

export default function setup(): () => Promise<void> {
  return async () => {
    await stopSecureStackIfTestsStartedIt();
    rmSync(STARTED_BY_TESTS, { force: true });
  };
}
