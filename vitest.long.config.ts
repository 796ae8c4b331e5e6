import { defineConfig } from 'vitest/config';

/**
 * The long tier: tests that bring up infrastructure of their own (the 3-node cluster of
 * scripts/local-stack/cluster.sh) and run for minutes. Not part of `npm test`: they need about
 * 1.5 GiB more memory and several minutes of both cores.
 *
 *   npm run test:long          → vitest run --config vitest.long.config.ts
 *
 * No global setup: the shared broker on 9092 is neither needed nor touched.
 */
export default defineConfig({
  test: {
    reporters: ['default'],
    include: ['test/long/**/*.test.ts'],
    fileParallelism: false,
    // A failing run still reads and counts everything before it reports (test/long/cluster.test.ts).
    testTimeout: 1_200_000,
    // Starting three brokers on a loaded 2-core machine (after fetching their jars, on a fresh one), and stopping them.
    hookTimeout: 900_000,
  },
});
