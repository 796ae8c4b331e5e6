/**
 * The review console (`enricher review`), wired: the state rebuilt from documents.review and
 * the decisions topic, the decision writer, the overview's sources, documents.shadow for the Candidates page, runtime settings from
 * pipeline.config, sign-in, and the HTTP server, in the one start/stop sequence of the three
 * processes (lifecycle.ts). Tests run it in-process too.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { KafkaClient } from '../kafka/client.ts';
import type { RegistrySerde } from '../kafka/registry/schema-registry.ts';
import { plainJson } from '../kafka/serde.ts';
import type { Logger } from '../observability/logger.ts';
import { createSettingsFollower } from '../settings/settings-follower.ts';
import { kafkaClient, registryClient } from './clients.ts';
import { part, processRun } from './lifecycle.ts';
import { createRuntimeSettings } from '../settings/runtime-settings.ts';
import { checkAccessConfig, createAccess } from '../review/auth/access.ts';
import { createSessionCodec } from '../review/auth/session.ts';
import { loadUserStore } from '../review/auth/users-file.ts';
import { createDecisionWriter, decisionsTransactionalIdBase } from '../review/decision-writer.ts';
import type { ConsoleContext } from '../review/http/context.ts';
import { buildServer } from '../review/http/server.ts';
import { createShadowView } from '../review/candidates/shadow-follower.ts';
import { createOverviewSources } from '../review/overview/overview-sources.ts';
import { createReviewState, type ReviewState } from '../review/review-state.ts';
import { createStateSync } from '../review/state-sync.ts';

export interface ReviewConsole {
  readonly state: ReviewState;
  /** Reads the topics, then listens. Resolves with the console's address. */
  start(): Promise<{ url: string }>;
  stop(): Promise<void>;
}

export function createReviewConsole(config: Config, logger: Logger, o: { kafka?: KafkaClient; registry?: RegistrySerde } = {}): ReviewConsole {
  checkAccessConfig(config);
  const log = logger.child({ component: 'review-console' });
  const kafka = o.kafka ?? kafkaClient(config, logger, 'review');
  const users = config.review.usersFile ? loadUserStore(config.review.usersFile, (e) => log.error({ err: e.message }, 'REVIEW_USERS_FILE could not be read again; keeping the users read before')) : undefined;
  if (!config.review.sessionSecret) log.warn('REVIEW_SESSION_SECRET is not set: sessions end when this console restarts and are not shared with other console instances');
  const codec = createSessionCodec({ secret: config.review.sessionSecret ? Buffer.from(config.review.sessionSecret, 'utf8') : randomBytes(32), ttlMs: config.review.sessionTtlMs, secure: config.review.cookieSecure });
  // With a schema registry the console writes the wire format, like the processor.
  const registry = o.registry ?? registryClient(config, logger);
  const encode = registry?.encode ?? plainJson;
  const state = createReviewState();
  const groupBase = `${config.kafka.groupId}.review-console`;
  const sync = createStateSync({ kafka, topics: { review: config.topics.review, decisions: config.topics.reviewDecisions }, groupBase, instanceId: config.kafka.instanceId, state, logger: log });
  const writer = createDecisionWriter({
    kafka, topic: config.topics.reviewDecisions, transactionalIdBase: decisionsTransactionalIdBase(config), logger: log, encode,
    state: { check: (d) => state.check(d), waitSeen: (p, offset, ms) => sync.waitSeen(p, offset, ms), applyOwn: (d) => state.applyDecision(d) },
  });
  const settings = createRuntimeSettings({ qualityThreshold: config.processing.qualityThreshold, dailyBudgetUsd: config.budget.dailyUsd });
  const settingsReader = createSettingsFollower({ kafka, config, settings, logger: log });
  const overview = createOverviewSources({ kafka, config, settings, logger: log, groupBase });
  const shadow = createShadowView({ kafka, topic: config.topics.shadow, groupBase, instanceId: config.kafka.instanceId, logger: log });
  let ready = false;
  const ctx: ConsoleContext = {
    config, logger: log, state, writer, overview, shadow, settings, codec, encode,
    access: createAccess({ review: config.review, users, codec }),
    ready: () => ready,
    unreadable: () => sync.unreadable(),
  };
  const server = buildServer(ctx);

  let url = '';
  const run = processRun({
    command: 'review', config, logger: log, kafka, registry,
    parts: [
      {
        name: 'state',
        async start() {
          const [caughtUp] = await Promise.all([sync.start(), writer.start(), settingsReader.start(), overview.start(), shadow.start()]);
          ready = caughtUp;
          if (!caughtUp) log.warn('the review topics were not read to their end in time; the queue fills in as they are read');
        },
        async stop() {
          await writer.close();
          await Promise.all([sync.stop(), settingsReader.stop(), overview.stop(), shadow.stop()]);
        },
      },
      part('http', {
        async start() {
          url = await server.listen({ port: config.review.port, host: config.review.host });
          log.info({ url, open: state.openItems().length, decisions: [...state.decisions()].length }, 'review console listening');
        },
        stop: () => server.close(),
      }),
    ],
  });

  return {
    state,
    async start() {
      await run.start();
      return { url };
    },
    stop: () => run.stop(),
  };
}
