/**
 * The subjects of the schema registry: one per topic value, named by the TopicNameStrategy
 * (`<topic>-value`), each with the contract the catalogue gives its topic. Every process
 * registers the subjects it may write at its start.
 */
import type { Config } from '../../config.ts';
import type { ContractName } from '../../contracts/registry.ts';
import { namedTopics } from '../topics.ts';
import type { Catalogue, Command } from '../../topics/catalogue.ts';

export interface SubjectSpec {
  topic: string;
  subject: string;
  contract: ContractName;
}

export const subjectFor = (topic: string): string => `${topic}-value`;

/** Every topic value with a contract (the catalogue's, topics/catalogue.ts), one subject each. */
export function valueContracts(config: Pick<Config, 'topics' | 'retry'>, catalogue?: Catalogue): SubjectSpec[] {
  return namedTopics(config, catalogue).flatMap(({ name, entry }) => (entry.contract ? [{ topic: name, subject: subjectFor(name), contract: entry.contract }] : []));
}

/**
 * What a command registers before it writes anything: the subjects of the topics it writes (the
 * catalogue's access), so that a contract the registry refuses stops it at its start.
 */
export function subjectsWrittenBy(config: Pick<Config, 'topics' | 'retry'>, command: Command, catalogue?: Catalogue): SubjectSpec[] {
  const written = new Set(namedTopics(config, catalogue).filter((t) => t.entry.access[command]?.includes('WRITE')).map((t) => t.name));
  return valueContracts(config, catalogue).filter((s) => written.has(s.topic));
}
