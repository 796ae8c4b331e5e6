import { defineConfig } from 'vitest/config';

/**
 * The container tier (`npm run test:containers`): docker-compose.yml, the graceful stop of a
 * processor container, the testcontainers path. Needs a Docker engine and the images
 * (`npm run images`); not part of `npm test`. One file at a time: each brings up its own stack.
 */
export default defineConfig({
  test: {
    include: ['test/containers/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
    reporters: ['default'],
  },
});
