import { defineConfig } from 'vitest/config';

/**
 * Three projects. `unit` needs neither Kafka nor Redis (test/setup/no-services.ts fails a test
 * that tries) and runs its files in parallel. `integration` and `e2e` run against the real
 * broker, after the unit tests and one file at a time: they share one broker on a 2-core
 * machine, and running them one by one keeps them from starving each other and makes
 * failures readable. Only they load the broker's global setup.
 *
 *   npm run test:unit          → vitest run --project unit
 *   npm test                   → tsc, then all three projects
 *
 * A new test file joins a project by where it stands: test/unit/, test/integration/ or test/e2e/.
 */
const onTheBroker = {
  fileParallelism: false,
  testTimeout: 120_000,
  hookTimeout: 180_000,
  // The plaintext broker, and the secured one (SASL_SSL) that the security tests use.
  globalSetup: ['test/setup/broker.ts', 'test/setup/secure-broker.ts'],
};

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/setup/no-services.ts'],
          // Every core: vitest's default is one fewer, which on a 2-core machine is one file at a
          // time (and a project with one worker and groupOrder 0 would run last, not first).
          maxWorkers: '100%',
          // Generous for a loaded machine; no unit test is meant to come near it.
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...onTheBroker, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...onTheBroker, sequence: { groupOrder: 2 } } },
    ],
  },
});
