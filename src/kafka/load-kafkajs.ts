/**
 * Loads KafkaJS with our read_committed filter in place of its own (see
 * read-committed-filter.ts for the bug). KafkaJS's Batch takes the filter with require() when
 * it is first loaded, so the replacement goes into Node's module cache before that; a process
 * that loaded KafkaJS earlier by another path would keep the faulty filter, and is refused.
 */
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import type * as KafkaJs from 'kafkajs';
import { filterAbortedRecords } from './read-committed-filter.ts';

const require = createRequire(import.meta.url);
const root = dirname(require.resolve('kafkajs/package.json'));
const filterPath = join(root, 'src/consumer/filterAbortedMessages.js');
const batchPath = join(root, 'src/consumer/batch.js');

function load(): typeof KafkaJs {
  const cached = require.cache[filterPath];
  if (cached?.exports !== filterAbortedRecords) {
    if (require.cache[batchPath]) {
      throw new Error('KafkaJS was loaded before src/kafka/load-kafkajs.ts could replace its read_committed filter; import kafkajs only through src/kafka/client.ts');
    }
    const m = new Module(filterPath);
    m.filename = filterPath;
    m.loaded = true;
    m.exports = filterAbortedRecords;
    require.cache[filterPath] = m;
  }
  return require('kafkajs') as typeof KafkaJs;
}

export const kafkajs = load();
