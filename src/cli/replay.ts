/**
 * `enricher replay --to-earliest | --to-datetime <ISO> | --to-offset <n> [--yes]`: resets the
 * processor group's offsets on documents.raw. It shows the plan first and changes nothing
 * without --yes; it refuses while the group has members. Retries have their own group
 * (KAFKA_GROUP_ID.retry) and are left alone.
 */
import type { Command } from 'commander';
import type { Config } from '../config.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { kafkaClient, registryClient } from '../processes/clients.ts';
import {
  applyReplay, describeTarget, messagesToReplay, parseReplayTarget, planReplay, refusal,
  ReplayRefusedError, ReplayUsageError, type ReplayOptions, type ReplayPlan,
} from '../operations/replay.ts';
import { checkReplayCache } from '../operations/replay-cache-check.ts';
import { createCache } from '../llm/cache/create-cache.ts';
import { loadPrompts } from '../llm/chain/prompt-files.ts';
import { PROMPT_SPECS } from '../llm/chain/steps/index.ts';
import { decodePlainRaw } from '../kafka/serde.ts';
import { RawDocument } from '../contracts/index.ts';
import type { Logger } from '../observability/logger.ts';
import { quietBoot, type Boot } from './boot.ts';

export interface ReplayCommandOptions extends ReplayOptions {
  yes?: boolean | undefined;
  /** commander's --no-cache-check: skip asking the result cache what the replay will cost. */
  cacheCheck?: boolean | undefined;
}

/** What the CLI runs; tests call it too. Resolves to the exit code: 0 done or planned, 1 refused, 2 usage. */
export async function replayCommand(
  config: Config,
  logger: Logger,
  opts: ReplayCommandOptions,
  out: { write(s: string): unknown; error(s: string): unknown },
  kafka: KafkaClient = kafkaClient(config, logger, 'replay'),
): Promise<number> {
  let target;
  try {
    target = parseReplayTarget(opts);
  } catch (e) {
    if (e instanceof ReplayUsageError) {
      out.error(`enricher replay: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groupId } = config.kafka;
    const topic = config.topics.raw;
    const plan = await planReplay(admin, groupId, topic, target);
    const refused = refusal(plan);
    if (refused) {
      out.error(`enricher replay: refused: ${refused}\n`);
      return 1;
    }
    out.write(`replay of group ${groupId} on ${topic} from ${describeTarget(target)}:\n`);
    for (const p of plan.partitions) {
      out.write(`  partition ${p.partition}: ${p.current ?? 'none'} → ${p.next}  (holds ${p.low}..${p.high})${p.note ? `  [${p.note}]` : ''}\n`);
    }
    out.write(`${messagesToReplay(plan)} message(s) will be processed again. ${cacheNote(config)}\n`);
    if (opts.cacheCheck !== false && sharedCache(config)) out.write(`${await askCache(config, logger, kafka, plan)}\n`);
    if (!opts.yes) {
      out.write('nothing changed: run again with --yes to reset the offsets.\n');
      return 0;
    }
    const after = await applyReplay(admin, plan);
    out.write('offsets reset; the group now stands at:\n');
    for (const p of after) out.write(`  partition ${p.partition}: ${p.offset}\n`);
    out.write('start the processors to replay.\n');
    logger.info({ groupId, topic, target: describeTarget(target), partitions: after }, 'replay: offsets reset');
    return 0;
  } catch (e) {
    if (e instanceof ReplayRefusedError || e instanceof ReplayUsageError) {
      out.error(`enricher replay: ${e instanceof ReplayRefusedError ? 'refused: ' : ''}${e.message}\n`);
      return e instanceof ReplayRefusedError ? 1 : 2;
    }
    throw e;
  } finally {
    await admin.disconnect();
  }
}

const sharedCache = (config: Config) => config.llm.cacheSize > 0 && config.llm.cacheTtlMs > 0 && config.llm.redisUrl !== undefined;

/** The replay's cost, from the shared result cache: how many documents it answers in full. */
async function askCache(config: Config, logger: Logger, kafka: KafkaClient, plan: ReplayPlan): Promise<string> {
  const cache = createCache(config, logger);
  if (!cache) return '';
  const registry = registryClient(config, logger);
  try {
    const prompts = loadPrompts(config.llm.promptsDir, PROMPT_SPECS);
    const r = await checkReplayCache({
      kafka, config, plan, cache, prompts, logger,
      decodeRaw: registry ? (b) => registry.decodeRaw(b) : async (b) => decodePlainRaw(b, RawDocument),
    });
    const unreadable = r.unreadable ? `; ${r.unreadable} unreadable (the DLQ again, no call)` : '';
    return `Result cache (${modelsNote(config)}, prompt version ${prompts.version}): ${r.answered} of ${r.documents} document(s) answered in full, calling nothing; ` +
      `${r.willCall} not cached in full will call the LLM (${r.calls} step call(s) at least)${unreadable}.`;
  } catch (e) {
    return `Result cache: could not check what the replay will cost (${(e as Error).message}); --no-cache-check skips this.`;
  } finally {
    await cache.close?.();
  }
}

/** "model m", or each step's when they differ. */
function modelsNote(config: Config): string {
  const { models } = config.llm;
  const distinct = new Set(Object.values(models));
  return distinct.size === 1 ? `model ${[...distinct][0]}` : `models ${Object.entries(models).map(([s, m]) => `${s} ${m}`).join(', ')}`;
}

function cacheNote(config: Config): string {
  if (config.llm.cacheSize <= 0) return 'The result cache is off (LLM_CACHE_SIZE=0): every call is paid again.';
  if (config.llm.redisUrl) return 'Answers in the Redis result cache are reused: unchanged documents cost nothing unless the prompt version or the model changed.';
  return 'The result cache is in memory (no REDIS_URL): it starts empty, so the calls are paid again.';
}

export function registerReplayCommand(program: Command, boot: Boot): void {
  program
    .command('replay')
    .description('reset the processor group\'s offsets on documents.raw (stop every processor first); shows the plan, applies it with --yes')
    .option('--to-earliest', 'from the oldest message the topic holds')
    .option('--to-datetime <iso>', 'from the first message at or after this time (ISO-8601 with a zone, e.g. 2026-03-01T12:00:00Z)')
    .option('--to-offset <n>', 'from this offset on every partition (clamped to what each partition holds)')
    .option('--yes', 'apply the plan (without it, nothing changes)')
    .option('--no-cache-check', 'do not ask the shared result cache (REDIS_URL) how many documents the replay will pay for')
    .action(async (opts: ReplayCommandOptions) => {
      const { config, logger } = quietBoot(boot);
      const code = await replayCommand(config, logger, opts, { write: (s) => process.stdout.write(s), error: (s) => process.stderr.write(s) });
      process.exit(code);
    });
}
