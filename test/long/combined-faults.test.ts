/**
 * Faults together (issue 21), the full profile by default (CHAOS_PROFILE=short for the
 * CI one): 5,000 documents, 3 processors, the broker away 15 s, Redis 20 s, the LLM 60 s
 * against 5+10+20 s of retry tiers. scripts/chaos.sh runs it K times in a row, one line per
 * run; the figures are in docs/delivery-guarantees.md.
 */
import { describe, it } from 'vitest';
import { expectCleanRun, localBrokerRunning, PROFILES, runCombinedFaults } from '../support/combined-faults.ts';

const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1_000_000));
const profile = PROFILES[process.env.CHAOS_PROFILE === 'short' ? 'short' : 'long'];

describe('faults together, at length', () => {
  it.skipIf(!localBrokerRunning())(`${profile.name} profile, seed ${seed}: every document exactly once, none dead-lettered, every processor alive`, async () => {
    const r = await runCombinedFaults({ seed, profile, redisPort: 16387, log: (l) => console.log(l) });
    expectCleanRun(r);
  }, 1_200_000);
});
