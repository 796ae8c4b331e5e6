/**
 * Faults together (issue 21), the full profile by default (CHAOS_PROFILE=short for the
 * CI one): 5,000 documents, 3 processors, the broker away 15 s, Redis 20 s, the LLM 60 s
 * against 5+10+20 s of retry tiers. scripts/chaos.sh runs it K times in a row, one line per
 * run; the figures are in docs/delivery-guarantees.md.
 */
import { describe, expect, it } from 'vitest';
import { localBrokerRunning, PROFILES, runCombinedFaults, summaryLine } from '../support/combined-faults.ts';

const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1_000_000));
const profile = PROFILES[process.env.CHAOS_PROFILE === 'short' ? 'short' : 'long'];

describe('faults together, at length', () => {
  it.skipIf(!localBrokerRunning())(`${profile.name} profile, seed ${seed}: every document exactly once, none dead-lettered, every processor alive`, async () => {
    const r = await runCombinedFaults({ seed, profile, redisPort: 16387, log: (l) => console.log(l) });
    console.log(summaryLine(r));
    console.log(`[combined-faults] timeline: ${r.timeline.join('; ')}`);
    if (r.duplicates.length) console.log(`duplicates:\n${r.duplicateDetail.join('\n')}\nlogs:\n${r.logs.join('\n')}`);
    expect({ duplicates: r.duplicates, missing: r.missing, dlq: r.dlq }).toEqual({ duplicates: [], missing: 0, dlq: 0 });
    expect(r.enriched + r.review).toBe(r.documents);
    expect(r.alive).toBe(r.processors);
    expect(r.cleanExits).toBe(r.processors);
  }, 1_200_000);
});
