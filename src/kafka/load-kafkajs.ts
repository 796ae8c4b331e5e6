/**
 * Loads KafkaJS with our read_committed filter in place of its own (see
 * read-committed-filter.ts for the bug, docs/kafkajs-read-committed-bug.md for the report).
 * KafkaJS's Batch takes the filter with require() when it is first loaded, so the replacement
 * goes into Node's module cache before that. The fix is bound to one KafkaJS release and one
 * file of it: if either changed, the fix would silently stop applying, so the process refuses
 * to start instead. A process that loaded KafkaJS earlier by another path would keep the faulty
 * filter, and is refused too. The coordinator cache (coordinator-cache.ts) and the producer's
 * send (send-messages.ts: a retry skipped partitions, a failed request rolled back sequences
 * the broker had accepted) are replaced here too, behind the same check, so that every change
 * to KafkaJS's internals sits in one place.
 */
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import type * as KafkaJs from 'kafkajs';
import { cacheCoordinators } from './coordinator-cache.ts';
import { filterAbortedRecords } from './read-committed-filter.ts';
import { createSendMessages, type SendInternals } from './send-messages.ts';

const require = createRequire(import.meta.url);

/** The KafkaJS release whose read_committed filter read-committed-filter.ts replaces. */
export const FIXED_KAFKAJS_VERSION = '2.2.4';

export interface FixTarget {
  /** The module replaced. */
  filterPath: string;
  /** The module that requires it (KafkaJS's Batch). */
  batchPath: string;
  /** KafkaJS's Cluster, whose coordinator lookups are cached (coordinator-cache.ts). */
  clusterPath: string;
  /** The producer's send, replaced (send-messages.ts), and the module that requires it. */
  sendPath: string;
  messageProducerPath: string;
}

function resolves(path: string): boolean {
  try {
    require.resolve(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where the fix goes in the KafkaJS installed at `root`. Throws, naming the version found and
 * the path, unless it is the release the fix was written for and its Batch still requires the
 * filter module we replace.
 */
export function fixTarget(root: string): FixTarget {
  const filterPath = join(root, 'src/consumer/filterAbortedMessages.js');
  const batchPath = join(root, 'src/consumer/batch.js');
  const clusterPath = join(root, 'src/cluster/index.js');
  const sendPath = join(root, 'src/producer/sendMessages.js');
  const messageProducerPath = join(root, 'src/producer/messageProducer.js');
  let version = 'of unknown version';
  try {
    version = String((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown }).version);
  } catch {
    // reported below as a version mismatch
  }
  const problems: string[] = [];
  if (version !== FIXED_KAFKAJS_VERSION) problems.push(`the fix was written for KafkaJS ${FIXED_KAFKAJS_VERSION}`);
  if (!resolves(filterPath)) problems.push(`${filterPath} does not resolve`);
  else if (!resolves(batchPath) || !readFileSync(batchPath, 'utf8').includes("require('./filterAbortedMessages')")) problems.push(`${batchPath} does not require it`);
  if (!resolves(clusterPath)) problems.push(`${clusterPath} (whose coordinator lookups we cache) does not resolve`);
  if (!resolves(sendPath)) problems.push(`${sendPath} (the producer's send we replace) does not resolve`);
  else if (!resolves(messageProducerPath) || !readFileSync(messageProducerPath, 'utf8').includes("require('./sendMessages')")) problems.push(`${messageProducerPath} does not require it`);
  if (problems.length > 0) {
    throw new Error(
      `refusing to start: KafkaJS ${version} is installed at ${root}, and our read_committed fix replaces ${filterPath}, but ${problems.join(' and ')}. ` +
        'Without the fix a read_committed consumer can see records of aborted transactions. Re-check the fix against this KafkaJS (docs/kafkajs-read-committed-bug.md) before changing the pinned version.',
    );
  }
  return { filterPath, batchPath, clusterPath, sendPath, messageProducerPath };
}

/**
 * Marks the module we put in the cache. A process can evaluate this file more than once (a test
 * runner's module graph per project); a later evaluation must recognise the filter an earlier one
 * installed, which is the same code but not the same function object.
 */
const INSTALLED = Symbol.for('llm-enricher.read-committed-filter');

function load(target: FixTarget): typeof KafkaJs {
  const cached = require.cache[target.filterPath] as (NodeJS.Module & { [INSTALLED]?: true }) | undefined;
  if (cached?.exports !== filterAbortedRecords && !cached?.[INSTALLED]) {
    if (require.cache[target.batchPath]) {
      throw new Error(`KafkaJS was loaded (${target.batchPath}) before src/kafka/load-kafkajs.ts could replace its read_committed filter; import kafkajs only through src/kafka/client.ts`);
    }
    const m = new Module(target.filterPath);
    m.filename = target.filterPath;
    m.loaded = true;
    m.exports = filterAbortedRecords;
    (m as NodeJS.Module & { [INSTALLED]?: true })[INSTALLED] = true;
    require.cache[target.filterPath] = m;
  }
  installSend(target);
  const loaded = require('kafkajs') as typeof KafkaJs;
  // Behind the same version check as the filter: KafkaJS's Cluster (the class every client of
  // this process builds) asks for coordinators once a second, not before every request.
  cacheCoordinators(require(target.clusterPath) as Parameters<typeof cacheCoordinators>[0]);
  return loaded;
}

const SEND_INSTALLED = Symbol.for('llm-enricher.send-messages');

/** Puts send-messages.ts where KafkaJS's producer will require its send, once per process. */
function installSend(target: FixTarget): void {
  const cached = require.cache[target.sendPath] as (NodeJS.Module & { [SEND_INSTALLED]?: true }) | undefined;
  if (cached?.[SEND_INSTALLED]) return;
  if (require.cache[target.messageProducerPath]) {
    throw new Error(`KafkaJS was loaded (${target.messageProducerPath}) before src/kafka/load-kafkajs.ts could replace its producer's send; import kafkajs only through src/kafka/client.ts`);
  }
  const producer = dirname(target.sendPath);
  const internals: SendInternals = {
    groupMessagesPerPartition: require(join(producer, 'groupMessagesPerPartition.js')),
    responseSerializer: require(join(producer, 'responseSerializer.js')),
    staleMetadata: (require(join(producer, '../protocol/error.js')) as { staleMetadata: SendInternals['staleMetadata'] }).staleMetadata,
    KafkaJSMetadataNotLoaded: (require(join(producer, '../errors.js')) as { KafkaJSMetadataNotLoaded: SendInternals['KafkaJSMetadataNotLoaded'] }).KafkaJSMetadataNotLoaded,
  };
  const m = new Module(target.sendPath);
  m.filename = target.sendPath;
  m.loaded = true;
  m.exports = createSendMessages(internals);
  (m as NodeJS.Module & { [SEND_INSTALLED]?: true })[SEND_INSTALLED] = true;
  require.cache[target.sendPath] = m;
}

export const kafkajs = load(fixTarget(dirname(require.resolve('kafkajs/package.json'))));
