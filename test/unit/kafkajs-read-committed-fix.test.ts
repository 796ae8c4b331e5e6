/**
 * Our fix of KafkaJS 2.2.4's read_committed filter (src/kafka/load-kafkajs.ts), without a
 * broker: a real KafkaJS Batch, built from a fetch response that starts inside two open aborted
 * transactions, hides both with the fix and leaks one without it; the fix refuses to start on a
 * KafkaJS it was not written for, or when KafkaJS was loaded before it.
 *
 * Each Batch is built in its own Node process (test/support/kafkajs-batch-probe.ts): which
 * filter a Batch uses is decided once per module cache, when KafkaJS is first loaded.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXED_KAFKAJS_VERSION, fixTarget } from '../../src/kafka/load-kafkajs.ts';

const probePath = fileURLToPath(new URL('../support/kafkajs-batch-probe.ts', import.meta.url));
const installed = dirname(createRequire(import.meta.url).resolve('kafkajs/package.json'));

function probe(mode: 'fixed' | 'unfixed' | 'kafkajs-first') {
  // process.execPath: the Node running the tests (24, which runs .ts files as they are).
  const r = spawnSync(process.execPath, [probePath, mode], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, keys: r.status === 0 ? (JSON.parse(r.stdout) as string[]) : undefined };
}

describe('a real KafkaJS Batch fetched from inside two open aborted transactions', () => {
  it('shows only committed records with our filter', () => {
    const r = probe('fixed');
    expect(r.stderr).toBe('');
    expect(r.keys).toEqual(['p2-committed', 'plain']);
  });

  it('leaks the second aborted transaction with KafkaJS\'s own filter (the bug the fix exists for)', () => {
    const r = probe('unfixed');
    expect(r.stderr).toBe('');
    expect(r.keys).toEqual(['p2-aborted', 'p2-committed', 'plain']);
  });
});

describe('the fix refuses to start', () => {
  it('when KafkaJS was loaded before it could replace the filter', () => {
    const r = probe('kafkajs-first');
    expect(r.status).not.toBe(0);
    expect(r.keys).toBeUndefined();
    expect(r.stderr).toContain('KafkaJS was loaded');
    expect(r.stderr).toContain(join(installed, 'src/consumer/batch.js'));
    expect(r.stderr).toContain('before src/kafka/load-kafkajs.ts could replace its read_committed filter');
  });

  const fakes = mkdtempSync(join(tmpdir(), 'kafkajs-fix-'));
  afterAll(() => rmSync(fakes, { recursive: true, force: true }));
  /** A KafkaJS installation with the given version and consumer files (and, unless told, its Cluster and producer). */
  function fakeKafkaJs(name: string, version: string, files: Record<string, string>, cluster = true, producer: Record<string, string> = producerFiles): string {
    const root = join(fakes, name);
    mkdirSync(join(root, 'src/consumer'), { recursive: true });
    mkdirSync(join(root, 'src/cluster'), { recursive: true });
    mkdirSync(join(root, 'src/producer'), { recursive: true });
    for (const [f, text] of Object.entries(producer)) writeFileSync(join(root, 'src/producer', f), text);
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'kafkajs', version }));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(root, 'src/consumer', f), text);
    if (cluster) writeFileSync(join(root, 'src/cluster/index.js'), 'module.exports = class Cluster {}\n');
    return root;
  }
  const batchSource = "const filterAbortedMessages = require('./filterAbortedMessages')\n";
  const producerFiles = { 'sendMessages.js': 'module.exports = () => () => []\n', 'messageProducer.js': "const createSendMessages = require('./sendMessages')\n" };

  it('on another KafkaJS version, naming the version found and the path it replaces', () => {
    const root = fakeKafkaJs('newer', '2.3.0', { 'filterAbortedMessages.js': 'module.exports = () => []\n', 'batch.js': batchSource });
    expect(() => fixTarget(root)).toThrow(/^refusing to start: KafkaJS 2\.3\.0 is installed at .*, and our read_committed fix replaces .*filterAbortedMessages\.js, but the fix was written for KafkaJS 2\.2\.4\./);
    expect(() => fixTarget(root)).toThrow(join(root, 'src/consumer/filterAbortedMessages.js'));
  });

  it('when the module it replaces does not resolve, naming the path', () => {
    const root = fakeKafkaJs('moved', FIXED_KAFKAJS_VERSION, { 'batch.js': batchSource });
    expect(() => fixTarget(root)).toThrow(`KafkaJS 2.2.4 is installed at ${root}, and our read_committed fix replaces ${join(root, 'src/consumer/filterAbortedMessages.js')}, but ${join(root, 'src/consumer/filterAbortedMessages.js')} does not resolve`);
  });

  it('when KafkaJS\'s Batch no longer requires that module', () => {
    const root = fakeKafkaJs('renamed', FIXED_KAFKAJS_VERSION, { 'filterAbortedMessages.js': 'module.exports = () => []\n', 'batch.js': "require('./filterAborted')\n" });
    expect(() => fixTarget(root)).toThrow(`${join(root, 'src/consumer/batch.js')} does not require it`);
  });

  it('when KafkaJS\'s Cluster, whose coordinator lookups are cached, has moved', () => {
    const root = fakeKafkaJs('no-cluster', FIXED_KAFKAJS_VERSION, { 'filterAbortedMessages.js': 'module.exports = () => []\n', 'batch.js': batchSource }, false);
    expect(() => fixTarget(root)).toThrow(`${join(root, 'src/cluster/index.js')} (whose coordinator lookups we cache) does not resolve`);
  });

  it('when KafkaJS\'s producer no longer requires the send we replace', () => {
    const root = fakeKafkaJs('send-renamed', FIXED_KAFKAJS_VERSION, { 'filterAbortedMessages.js': 'module.exports = () => []\n', 'batch.js': batchSource }, true,
      { 'sendMessages.js': 'module.exports = () => () => []\n', 'messageProducer.js': "require('./sendBatches')\n" });
    expect(() => fixTarget(root)).toThrow(`${join(root, 'src/producer/messageProducer.js')} does not require it`);
  });

  it('but accepts the KafkaJS installed here', () => {
    expect(fixTarget(installed)).toEqual({
      filterPath: join(installed, 'src/consumer/filterAbortedMessages.js'),
      batchPath: join(installed, 'src/consumer/batch.js'),
      clusterPath: join(installed, 'src/cluster/index.js'),
      sendPath: join(installed, 'src/producer/sendMessages.js'),
      messageProducerPath: join(installed, 'src/producer/messageProducer.js'),
    });
  });
});
