/**
 * The one start/stop sequence of the three processes (processor, review console, cost
 * aggregator). Start: the schema registry's subjects of every topic the process writes are
 * registered (a contract the registry refuses stops it before anything is written), the topics
 * it uses are created when missing (the catalogue's access, topics/catalogue.ts), then its parts
 * start in order. Stop: the parts stop in reverse order, each one even if another failed.
 */
import type { Config } from '../config.ts';
import type { KafkaClient } from '../kafka/client.ts';
import type { RegistrySerde } from '../kafka/registry/schema-registry.ts';
import { subjectsWrittenBy } from '../kafka/registry/subjects.ts';
import { ensureTopicsOf } from '../kafka/topics.ts';
import type { Logger } from '../observability/logger.ts';
import type { Command } from '../topics/catalogue.ts';

/** A part of a process: what it starts and stops. */
export interface Part {
  name: string;
  start(): Promise<unknown>;
  stop(): Promise<void>;
}

/** A started-and-stopped thing under a name, for the log when its stop fails. */
export const part = (name: string, p: { start(): Promise<unknown>; stop(): Promise<void> }): Part => ({ name, start: () => p.start(), stop: () => p.stop() });

export interface ProcessRun {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function processRun(deps: { command: Command; config: Config; logger: Logger; kafka: KafkaClient; registry: RegistrySerde | undefined; parts: readonly Part[] }): ProcessRun {
  const { config, logger } = deps;
  const started: Part[] = [];
  return {
    async start() {
      if (deps.registry) {
        const subjects = subjectsWrittenBy(config, deps.command);
        await deps.registry.prepare(subjects);
        logger.info({ registry: deps.registry.url, subjects: subjects.map((s) => s.subject) }, 'schema registry: every value is written in the wire format');
      }
      const created = await ensureTopicsOf(deps.kafka, config, deps.command);
      if (created.length) logger.info({ topics: created }, 'created missing topics');
      for (const part of deps.parts) {
        await part.start();
        started.push(part);
      }
    },
    async stop() {
      const failures: unknown[] = [];
      for (const part of started.splice(0).reverse()) {
        try {
          await part.stop();
        } catch (e) {
          failures.push(e);
          logger.error({ part: part.name, err: (e as Error).message }, 'stopping a part failed; stopping the rest');
        }
      }
      if (failures.length) throw failures[0];
    },
  };
}
