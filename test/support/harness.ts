/**
 * A processor wired to a local OpenAI-compatible server through the real SDK, on fresh topics
 * of the real broker. Tests drive the server's faults and read the real output topics.
 */
import type { Config } from '../../src/config.ts';
import { createProcessor, type Processor, type ProcessorOverrides } from '../../src/processes/processor.ts';
import type { RawDocument } from '../../src/contracts/index.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeOptions } from './fake-openai-server.ts';
import { connectTestKafka, testConfig, type TestKafka } from './kafka.ts';
import { testLogger } from './logger.ts';

export interface Harness {
  config: Config;
  tk: TestKafka;
  server: FakeOpenAiServer;
  app: Processor;
  produce(docs: (RawDocument | { key: string | null; value: Buffer; headers?: Record<string, string> })[]): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}, serverOpts: FakeOptions = {}, overrides: ProcessorOverrides = {}): Promise<Harness> {
  const server = await startFakeOpenAiServer(serverOpts);
  const config = testConfig({
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-test-not-a-real-key',
    OPENAI_BASE_URL: server.url,
    RETRY_DELAYS: '1s,2s,4s',
    LLM_CALL_RETRIES: '1',
    LLM_TIMEOUT: '2s',
    LLM_CACHE_SIZE: '0',
    SERVICE_PROBE_INTERVAL: '300ms',
    ...env,
  });
  const tk = await connectTestKafka(config);
  await tk.createTopics(config);
  const app = createProcessor(config, testLogger(), overrides);
  const producer = tk.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let started = false;
  return {
    config, tk, server, app,
    async produce(docs) {
      await producer.send({
        topic: config.topics.raw,
        messages: docs.map((d) =>
          'value' in d && Buffer.isBuffer(d.value)
            ? { key: d.key as string | null, value: d.value, headers: (d.headers ?? {}) as Record<string, string> }
            : { key: (d as RawDocument).id, value: Buffer.from(JSON.stringify(d)) },
        ),
      });
      if (!started) {
        started = true;
        await app.start();
      }
    },
    async close() {
      if (started) await app.stop();
      await producer.disconnect();
      await tk.cleanup();
      await server.close();
    },
  };
}

export function doc(id: string, content?: string): RawDocument {
  return {
    id,
    title: `Document ${id}`,
    content: content ?? `Acme Corp reported results on 12 March 2026. Jane Smith said the technology roadmap is on track. @confidence=0.95 (${id})`,
  };
}
