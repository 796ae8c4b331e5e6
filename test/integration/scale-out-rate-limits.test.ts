/**
 * LLM_TPM across instances: two processor instances share one token bucket in Redis. The
 * limit is low (12 000 tokens per minute, ~20 calls' worth), so within ~25 s the calls are
 * visibly throttled, and the tokens the server billed stay under the bucket's bound in every
 * sliding window: 60 s (the limit itself) and 10 s (the bucket's shape, which is what keeps
 * a minute under the limit however long the run).
 */
import { describe, expect, it } from 'vitest';
import { bucketFor, bucketMaxInWindow, bucketSteadyPerMinute } from '../../src/llm/limiter/limiter-settings.ts';
import { corpusDocs } from '../support/docs.ts';
import { startInstances } from '../support/instances.ts';
import { sleep } from '../support/time.ts';

const TPM = 12_000;
const RUN_MS = 25_000;

describe('LLM_TPM shared through Redis', () => {
  it('keeps the billed tokens of two instances under the limit in every sliding window, and throttles', async () => {
    const f = await startInstances({
      server: { latencyMs: 20 },
      redisPool: 'tpm',
      env: {
        TOPIC_PARTITIONS: '2',
        LLM_POOL_SLOTS: '5',
        LLM_TPM: String(TPM),
        LLM_MAX_OUTPUT_TOKENS: '200',
        LLM_TIMEOUT: '5s',
        SHUTDOWN_TIMEOUT: '3s', // documents still waiting for budget at the end are left for the next run
      },
    });
    const { server } = f;
    await f.send(corpusDocs(40, 'tpm'));
    const t0 = Date.now();
    await f.startApps(['tpm-a', 'tpm-b']);
    await sleep(RUN_MS);
    const elapsed = Date.now() - t0;
    const billed = server.requests().filter((r) => r.billed);
    await f.stopApps();

    const b = bucketFor(TPM);
    const total = billed.reduce((s, r) => s + r.promptTokens + r.completionTokens, 0);
    const perCall = total / Math.max(1, billed.length);
    const peak60 = server.peakTokensPerWindow(60_000);
    const peak10 = server.peakTokensPerWindow(10_000);
    console.log(
      `[tpm] limit ${TPM}/min (bucket ${JSON.stringify(b)}, steady ${bucketSteadyPerMinute(b)}/min): ${billed.length} calls in ${elapsed} ms, ` +
        `${total} tokens (${Math.round(perCall)}/call); peak 60 s window ${peak60}, peak 10 s window ${peak10} (bound ${bucketMaxInWindow(b, 10_000)})`,
    );

    // Weights are estimates made before the call (prompt + LLM_MAX_OUTPUT_TOKENS, as the API
    // itself counts them), so billed tokens run below what the bucket handed out.
    expect(billed.length).toBeGreaterThan(5); // it ran…
    expect(peak60).toBeLessThanOrEqual(TPM); // …never over the limit in any minute…
    expect(peak10).toBeLessThanOrEqual(bucketMaxInWindow(b, 10_000)); // …nor over the bucket's shape in any 10 s.
    // Throttled: 40 documents are 120 calls, about 3 s of work unthrottled (5 slots, 20 ms);
    // in 25 s the bucket allows its burst plus its steady rate, ~12 calls of ~460 tokens.
    expect(billed.length).toBeLessThan(40);
    expect(total).toBeLessThanOrEqual(bucketMaxInWindow(b, elapsed));
  }, 90_000);
});
