/**
 * LLM_TPM across instances: two processor instances share one token bucket in Redis. The
 * limit is low (12 000 tokens per minute, ~20 calls' worth), so within ~25 s the calls are
 * visibly throttled, and the tokens the server billed stay under the bucket's bound in every
 * sliding window: 60 s (the limit itself) and 10 s (the bucket's shape, which is what keeps
 * a minute under the limit however long the run).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { bucketFor, bucketMaxInWindow, bucketSteadyPerMinute } from '../../src/llm/limiter/limiter-settings.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { connectTestKafka, testEnv, type TestKafka } from '../support/kafka.ts';
import { testLogger } from '../support/logger.ts';
import { deletePoolKeys, TEST_REDIS_URL, uniquePoolId } from '../support/redis.ts';

let tk: TestKafka | undefined;
let server: FakeOpenAiServer | undefined;
let apps: App[] = [];
let pool: string | undefined;
afterEach(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  apps = [];
  await tk?.cleanup();
  await server?.close();
  if (pool) await deletePoolKeys(pool);
  tk = undefined;
  server = undefined;
  pool = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TPM = 12_000;
const RUN_MS = 25_000;

describe('LLM_TPM shared through Redis', () => {
  it('keeps the billed tokens of two instances under the limit in every sliding window, and throttles', async () => {
    pool = uniquePoolId('tpm');
    server = await startFakeOpenAiServer({ latencyMs: 20 });
    const env = testEnv({
      TOPIC_PARTITIONS: '2',
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: server.url,
      LLM_POOL_SLOTS: '5',
      LLM_TPM: String(TPM),
      LLM_MAX_OUTPUT_TOKENS: '200',
      LLM_CACHE_SIZE: '0',
      REDIS_URL: TEST_REDIS_URL,
      LLM_POOL_ID: pool,
      LLM_TIMEOUT: '5s',
      SHUTDOWN_TIMEOUT: '3s', // documents still waiting for budget at the end are left for the next run
    });
    const configs = ['tpm-a', 'tpm-b'].map((id) => loadConfig({ ...env, INSTANCE_ID: id }));
    tk = await connectTestKafka(configs[0]!);
    await tk.createTopics(configs[0]!);
    apps = configs.map((c) => createApp(c, testLogger()));
    const producer = tk.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: configs[0]!.topics.raw, messages: corpusDocs(40, 'tpm').map(toMessage) });
    await producer.disconnect();
    const t0 = Date.now();
    await Promise.all(apps.map((a) => a.start()));
    await sleep(RUN_MS);
    const elapsed = Date.now() - t0;
    const billed = server.requests().filter((r) => r.billed);
    await Promise.all(apps.map((a) => a.stop()));
    apps = [];

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
