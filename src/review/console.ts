/**
 * The review console, wired: the state rebuilt from documents.review and the decisions topic,
 * the decision writer, the overview's sources, runtime settings from pipeline.config, sign-in,
 * and the HTTP server. `enricher review` runs one; tests run it in-process too.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { createKafka, type KafkaClient } from '../kafka/client.ts';
import { createRegistrySerde, type RegistrySerde } from '../kafka/registry/schema-registry.ts';
import { valueContracts } from '../kafka/registry/subjects.ts';
import { plainJson } from '../kafka/serde.ts';
import { ensureTopics, topicSpecs } from '../kafka/topics.ts';
import type { Logger } from '../observability/logger.ts';
import { createConfigTopicReader } from '../settings/config-reader.ts';
import { createRuntimeSettings } from '../settings/runtime-settings.ts';
import { createAccess } from './auth/access.ts';
import { createSessionCodec } from './auth/session.ts';
import { loadUserStore } from './auth/users-file.ts';
import { createDecisionWriter } from './decision-writer.ts';
import type { ConsoleContext } from './http/context.ts';
import { buildServer } from './http/server.ts';
import { createOverviewSources } from './overview/overview-sources.ts';
import { createReviewState, type ReviewState } from './review-state.ts';
import { createStateSync } from './state-sync.ts';

export interface ReviewConsole {
  readonly state: ReviewState;
  /** Reads the topics, then listens. Resolves with the console's address. */
  start(): Promise<{ url: string }>;
  stop(): Promise<void>;
}

/** The transactional id prefix of the decisions topic's writers: the same in every console instance of a deployment. */
export function decisionsTransactionalIdBase(config: Pick<Config, 'kafka' | 'topics'>): string {
  return `${config.kafka.groupId}.review.tx.${config.topics.reviewDecisions}`;
}

/** Throws ConfigError when nobody could ever sign in. */
export function checkAccessConfig(config: Config): void {
  const r = config.review;
  if (!r.usersFile && !r.proxyUserHeader && r.anonymousRole === 'off') {
    throw new ConfigError('REVIEW_USERS_FILE: the review console needs a way to sign in: set REVIEW_USERS_FILE (users and scrypt hashes), REVIEW_PROXY_USER_HEADER (a trusted proxy), or REVIEW_ANONYMOUS_ROLE (loopback only)');
  }
}

export function createReviewConsole(config: Config, logger: Logger, o: { kafka?: KafkaClient; registry?: RegistrySerde } = {}): ReviewConsole {
  checkAccessConfig(config);
  const log = logger.child({ component: 'review-console' });
  const kafka = o.kafka ?? createKafka(config, logger, '-review');
  const users = config.review.usersFile ? loadUserStore(config.review.usersFile, (e) => log.error({ err: e.message }, 'REVIEW_USERS_FILE could not be read again; keeping the users read before')) : undefined;
  if (!config.review.sessionSecret) log.warn('REVIEW_SESSION_SECRET is not set: sessions end when this console restarts and are not shared with other console instances');
  const codec = createSessionCodec({ secret: config.review.sessionSecret ? Buffer.from(config.review.sessionSecret, 'utf8') : randomBytes(32), ttlMs: config.review.sessionTtlMs, secure: config.review.cookieSecure });
  // With a schema registry the console writes the wire format, like the processor.
  const registry = o.registry ?? (config.schemaRegistry.url ? createRegistrySerde(config, logger) : undefined);
  const encode = registry?.encode ?? plainJson;
  const state = createReviewState();
  const groupBase = `${config.kafka.groupId}.review-console`;
  const sync = createStateSync({ kafka, topics: { review: config.topics.review, decisions: config.topics.reviewDecisions }, groupBase, instanceId: config.kafka.instanceId, state, logger: log });
  const writer = createDecisionWriter({
    kafka, topic: config.topics.reviewDecisions, transactionalIdBase: decisionsTransactionalIdBase(config), logger: log, encode,
    state: { check: (d) => state.check(d), waitSeen: (p, offset, ms) => sync.waitSeen(p, offset, ms), applyOwn: (d) => state.applyDecision(d) },
  });
  const settings = createRuntimeSettings({ qualityThreshold: config.processing.qualityThreshold, dailyBudgetUsd: config.budget.dailyUsd });
  const settingsReader = createConfigTopicReader({ kafka, config, settings, logger: log });
  const overview = createOverviewSources({ kafka, config, settings, logger: log, groupBase });
  let ready = false;
  const ctx: ConsoleContext = {
    config, logger: log, state, writer, overview, settings, codec, encode,
    access: createAccess({ review: config.review, users, codec }),
    ready: () => ready,
    unreadable: () => sync.unreadable(),
  };
  const server = buildServer(ctx);

  return {
    state,
    async start() {
      // Registered before anything is written: a contract the registry refuses stops the start.
      const t = config.topics;
      const writes = new Set([t.enriched, t.rejected, t.reviewDecisions]);
      await registry?.prepare(valueContracts(config).filter((s) => writes.has(s.topic)));
      const admin = kafka.admin();
      await admin.connect();
      try {
        const wanted = new Set([t.raw, t.review, t.enriched, t.rejected, t.reviewDecisions, t.dlq, t.costsDaily, t.config]);
        await ensureTopics(admin, topicSpecs(config).filter((s) => wanted.has(s.topic)));
      } finally {
        await admin.disconnect();
      }
      const [caughtUp] = await Promise.all([sync.start(), writer.start(), settingsReader.start(), overview.start()]);
      ready = caughtUp;
      if (!caughtUp) log.warn('the review topics were not read to their end in time; the queue fills in as they are read');
      const address = await server.listen({ port: config.review.port, host: config.review.host });
      log.info({ url: address, open: state.openItems().length, decisions: [...state.decisions()].length }, 'review console listening');
      return { url: address };
    },
    async stop() {
      await server.close();
      await writer.close();
      await Promise.all([sync.stop(), settingsReader.stop(), overview.stop()]);
    },
  };
}
