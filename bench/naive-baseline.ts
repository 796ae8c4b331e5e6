/**
 * The baseline of the saturation scenario: what most teams write first. A KafkaJS `eachMessage`
 * consumer that runs the same chain (same provider, pool, pricing, cost events, gate) on one
 * document at a time and produces its output before taking the next.
 */
import type { Config } from '../src/config.ts';
import { createStepCaller } from '../src/llm/chain/call-step.ts';
import { createProvider } from '../src/llm/providers/create-provider.ts';
import { createLocalLimiter } from '../src/llm/limiter/local-pool.ts';
import { createPricing } from '../src/llm/pricing.ts';
import { createChainRunner } from '../src/llm/chain/run-chain.ts';
import { offlineAnswersOf } from '../src/llm/chain/step.ts';
import { loadPrompts } from '../src/llm/chain/prompt-files.ts';
import { chainSteps, PROMPT_SPECS } from '../src/llm/chain/steps/index.ts';
import { createDocumentHandler } from '../src/pipeline/document-handler.ts';
import { createKafka } from '../src/kafka/client.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { createCostEventProducer } from '../src/costs/cost-event-producer.ts';
import { createRuntimeSettings } from '../src/settings/runtime-settings.ts';
import type { IHeaders } from 'kafkajs';

export async function runNaiveBaseline(config: Config): Promise<{ stop(): Promise<void> }> {
  const logger = silentLogger();
  const metrics = createMetrics();
  const kafka = createKafka(config, logger, '-naive');
  const limiter = createLocalLimiter({ slots: config.llm.poolSlots, logger });
  const prompts = loadPrompts(config.llm.promptsDir, PROMPT_SPECS);
  const steps = chainSteps({ categories: config.llm.categories, prompts });
  const provider = createProvider(config, logger, { offlineAnswers: offlineAnswersOf(steps) });
  const costs = createCostEventProducer({ kafka, topic: config.topics.costEvents });
  const callStep = createStepCaller({
    provider, limiter, pricing: createPricing({ logger }), costs, promptVersion: prompts.version, models: config.llm.models,
    maxOutputTokens: config.llm.maxOutputTokens, instanceId: 'naive', logger, metrics,
  });
  const chain = createChainRunner({ steps, callStep, logger });
  const handler = createDocumentHandler({
    config, chain, settings: createRuntimeSettings({ qualityThreshold: config.processing.qualityThreshold, dailyBudgetUsd: undefined }),
    provider: provider.name, promptVersion: prompts.version, logger, metrics,
  });
  await costs.start();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${config.kafka.groupId}-naive` });
  await consumer.connect();
  await consumer.subscribe({ topic: config.topics.raw, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers: IHeaders = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = v;
      const res = await handler.handleRaw({ topic, partition, offset: message.offset, timestamp: message.timestamp, key: message.key, value: message.value, headers });
      if (res.kind === 'done') {
        for (const m of res.messages) await producer.send({ topic: m.topic, messages: [{ key: m.key, value: m.value, headers: m.headers }] });
      }
    },
  });
  return {
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
      await costs.stop();
      await limiter.stop();
    },
  };
}
