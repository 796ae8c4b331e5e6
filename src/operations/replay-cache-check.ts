/**
 * What a replay will cost, asked of the result cache before the offsets move: every document
 * the replay will read again is walked through the chain with a caller that only looks answers
 * up, never calls. A document whose every step is in the cache costs nothing; one that misses a
 * step will call the LLM for that step and the ones after it (their prompts depend on it).
 *
 * The answer is exact for this command's settings (model, prompt version, categories, pool id):
 * the processors must run with the same ones, as a replay of unchanged documents assumes.
 */
import type { Config } from '../config.ts';
import type { RawDocument } from '../contracts/index.ts';
import { EnricherError, ErrorCodes } from '../errors.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { createTopicFollower, readerGroupId } from '../kafka/topic-reader.ts';
import { cacheKey, type ResultCache } from '../llm/cache/result-cache.ts';
import { emptyUsage, type StepCaller } from '../llm/chain/call-step.ts';
import { createChainRunner } from '../llm/chain/run-chain.ts';
import type { PromptSet } from '../llm/chain/prompt-files.ts';
import { chainSteps } from '../llm/chain/steps/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { ReplayPlan } from './replay.ts';

export interface ReplayCacheReport {
  /** Documents the replay reads again. */
  documents: number;
  /** Answered in full by the cache: replaying them calls nothing. */
  answered: number;
  /** Documents that will call the LLM for at least one step. */
  willCall: number;
  /** The steps those documents will call, at least (a step retried after a fault calls again). */
  calls: number;
  /** Records that are not a readable document (they go to the DLQ again, calling nothing). */
  unreadable: number;
}

/** The cache as a caller: a hit is the answer, a miss ends the walk of that document. */
function cacheOnlyCaller(cache: ResultCache, models: Readonly<Record<string, string>>, model: string, promptVersion: string): StepCaller {
  return async (call) => {
    const hit = await cache.get(cacheKey(call.step, models[call.step] ?? model, promptVersion, call.messages));
    const parsed = hit === undefined ? undefined : call.answer.safeParse(hit.output);
    if (!parsed?.success) {
      // Retriable, so that the chain stops here instead of going on without entities.
      throw new EnricherError(`no cached answer for ${call.step}`, { code: ErrorCodes.INTERNAL, stage: call.step, retriable: true });
    }
    return { output: parsed.data, usage: { ...emptyUsage(), cachedCalls: 1 }, model: hit!.model, cached: true, ...(hit!.fieldProbability === undefined ? {} : { fieldProbability: hit!.fieldProbability }) };
  };
}

export async function checkReplayCache(deps: {
  kafka: KafkaClient;
  config: Pick<Config, 'kafka' | 'llm'>;
  plan: ReplayPlan;
  cache: ResultCache;
  /** The prompts read from PROMPTS_DIR: the steps ask with them, and their version keys the cache. */
  prompts: PromptSet;
  decodeRaw: (bytes: Buffer | null) => Promise<RawDocument>;
  logger: Logger;
  timeoutMs?: number;
}): Promise<ReplayCacheReport> {
  const { config, logger } = deps;
  const callStep = cacheOnlyCaller(deps.cache, config.llm.models, config.llm.model, deps.prompts.version);
  const steps = chainSteps({ categories: config.llm.categories, prompts: deps.prompts, confidenceMode: 'self', logger });
  const chain = createChainRunner({ steps, callStep, logger });
  const report: ReplayCacheReport = { documents: 0, answered: 0, willCall: 0, calls: 0, unreadable: 0 };
  const walks: Promise<void>[] = [];
  const walk = async (bytes: Buffer | null): Promise<void> => {
    let doc: RawDocument;
    try {
      doc = await deps.decodeRaw(bytes);
    } catch {
      report.unreadable++;
      return;
    }
    const outcome = await chain(doc, { documentId: doc.id, attempt: 1, runId: undefined, turn: { lane: 'replay-check', order: 0 }, abandoned: undefined });
    if (outcome.ok) return void report.answered++;
    const done = steps.filter((s) => outcome.progress[s.name] !== undefined).length;
    report.willCall++;
    report.calls += steps.length - done;
  };

  const from = new Map(deps.plan.partitions.map((p) => [p.partition, BigInt(p.next)]));
  const until = new Map(deps.plan.partitions.map((p) => [p.partition, BigInt(p.current ?? p.high)]));
  const follower = createTopicFollower({
    kafka: deps.kafka, topic: deps.plan.topic, groupId: readerGroupId(config.kafka.groupId, 'replay-check'), logger,
    from, until, deleteGroupOnStop: true,
    onRecord: (r) => {
      report.documents++;
      walks.push(walk(r.value));
    },
  });
  try {
    const timeoutMs = deps.timeoutMs ?? 120_000;
    if (!(await follower.start(timeoutMs))) throw new Error(`could not read the documents to replay within ${timeoutMs} ms`);
  } finally {
    await follower.stop();
  }
  await Promise.all(walks);
  return report;
}
