import { defineConfig } from 'vitest/config';

/**
 * The container tier (`npm run test:containers`), not part of `npm test`. Needs a Docker engine
 * and the images (`npm run images`). One file at a time: each brings up containers of its own.
 *
 *   containers       test/containers/: docker-compose.yml end to end, the graceful stop of a
 *                    processor container (Compose v2 or v1, whichever answers)
 *   testcontainers   integration files of the normal suite run against Kafka and Redis started
 *                    by testcontainers (TEST_BROKER=testcontainers: test/setup/broker.ts)
 */
process.env.TEST_BROKER ??= 'testcontainers';

export default defineConfig({
  test: {
    reporters: ['default'],
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: { name: 'containers', include: ['test/containers/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 600_000, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'testcontainers',
          include: ['test/integration/scale-out.test.ts', 'test/integration/pipeline.test.ts'],
          globalSetup: ['test/setup/broker.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
