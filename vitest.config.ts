import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share one broker on a 2-core machine: running files one at a time
    // keeps them from starving each other and makes failures readable.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ['test/setup/broker.ts', 'test/setup/secure-broker.ts'],
    reporters: ['default'],
  },
});
