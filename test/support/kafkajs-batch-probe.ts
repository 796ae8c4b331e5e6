/**
 * Builds a real KafkaJS Batch the way KafkaJS's consumer does: a Fetch (v11) response, encoded
 * here by the protocol and decoded by KafkaJS's own decoder, handed to `new Batch(topic,
 * fetchedOffset, partitionData)`. Prints the keys of the records the Batch exposes, as JSON.
 *
 * Run it as its own process (a fresh module cache decides which filter the Batch gets):
 *   node test/support/kafkajs-batch-probe.ts fixed          our filter installed first (load-kafkajs.ts)
 *   node test/support/kafkajs-batch-probe.ts unfixed        KafkaJS as published
 *   node test/support/kafkajs-batch-probe.ts kafkajs-first  KafkaJS loaded, then load-kafkajs.ts: must refuse
 *
 * The partition's log, as the broker wrote it when two transactions were open at once and
 * both aborted (the same log test/integration/read-committed.test.ts writes on a real broker):
 *   0: producer 1001, transactional 'p1-aborted'     3: ABORT marker of 1002
 *   1: producer 1002, transactional 'p2-aborted'     4: producer 1002, transactional 'p2-committed'
 *   2: ABORT marker of 1001                          5: COMMIT marker of 1002
 *                                                    6: producer 1003, not transactional, 'plain'
 * The consumer fetches from offset 1, inside both aborted transactions; the broker answers with
 * the batches from offset 1 and lists both aborted transactions, ordered by their abort marker.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const FETCH_OFFSET = '1';

const require = createRequire(import.meta.url);
const root = dirname(require.resolve('kafkajs/package.json'));
const kafkajsModule = (path: string) => require(join(root, 'src', path)) as unknown;

interface Encoder {
  writeInt8(v: number): Encoder;
  writeInt16(v: number): Encoder;
  writeInt32(v: number): Encoder;
  writeUInt32(v: number): Encoder;
  writeInt64(v: number | string): Encoder;
  writeString(v: string): Encoder;
  writeBytes(v: Buffer): Encoder;
  writeEncoder(v: Encoder): Encoder;
  writeArray(v: Encoder[]): Encoder;
  readonly buffer: Buffer;
}
type Batch = { messages: { key: Buffer | null }[] };

interface LogRecord {
  producerId: number;
  transactional: boolean;
  /** A transaction marker: 0 ABORT, 1 COMMIT. */
  marker?: 0 | 1;
  key?: string;
}

async function buildBatch(log: { offset: number; record: LogRecord }[]): Promise<Batch> {
  const Encoder = kafkajsModule('protocol/encoder.js') as new () => Encoder;
  const Record = kafkajsModule('protocol/recordBatch/record/v0/index.js') as (r: { key: Buffer; value: Buffer }) => Encoder;
  const crc32C = kafkajsModule('protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
  const fetchV11 = kafkajsModule('protocol/requests/fetch/v11/response.js') as { decode(b: Buffer): Promise<unknown>; parse(d: unknown): Promise<{ responses: { partitions: unknown[] }[] }> };
  const BatchClass = kafkajsModule('consumer/batch.js') as new (topic: string, fetchedOffset: string, partitionData: unknown) => Batch;

  // One record batch per record (a transaction marker is a control batch of one record), as
  // the Kafka protocol defines it: base offset, length, leader epoch, magic 2, CRC-32C, body.
  const recordBatch = (offset: number, r: LogRecord) => {
    const key = r.marker === undefined ? Buffer.from(r.key!) : Buffer.from([0, 0, 0, r.marker]); // version 0, type
    const value = r.marker === undefined ? Buffer.from('x') : Buffer.from([0, 0, 0, 0, 0, 0]); // version 0, coordinator epoch 0
    const attributes = (r.transactional ? 0x10 : 0) | (r.marker !== undefined ? 0x20 : 0);
    const body = new Encoder()
      .writeInt16(attributes).writeInt32(0).writeInt64(1_700_000_000_000).writeInt64(1_700_000_000_000)
      .writeInt64(r.producerId).writeInt16(0).writeInt32(offset)
      .writeArray([Record({ key, value })]);
    const batch = new Encoder().writeInt32(0).writeInt8(2).writeUInt32(crc32C(body.buffer)).writeEncoder(body);
    return new Encoder().writeInt64(offset).writeBytes(batch.buffer);
  };
  const recordSet = Buffer.concat(log.map((l) => recordBatch(l.offset, l.record).buffer));
  const aborted = (producerId: number, firstOffset: number) => new Encoder().writeInt64(producerId).writeInt64(firstOffset);
  const partition = new Encoder()
    .writeInt32(0).writeInt16(0).writeInt64(7).writeInt64(7).writeInt64(0) // partition, error, high watermark, last stable, log start
    .writeArray([aborted(1001, 0), aborted(1002, 1)])
    .writeInt32(-1) // preferred read replica
    .writeBytes(recordSet);
  const topic = new Encoder().writeString('documents.retry.10s').writeArray([partition]);
  const response = new Encoder().writeInt32(0).writeInt16(0).writeInt32(0).writeArray([topic]); // throttle, error, session
  const parsed = await fetchV11.parse(await fetchV11.decode(response.buffer));
  return new BatchClass('documents.retry.10s', FETCH_OFFSET, parsed.responses[0]!.partitions[0]);
}

async function probe(): Promise<string[]> {
  const batch = await buildBatch([
    { offset: 1, record: { producerId: 1002, transactional: true, key: 'p2-aborted' } },
    { offset: 2, record: { producerId: 1001, transactional: true, marker: 0 } },
    { offset: 3, record: { producerId: 1002, transactional: true, marker: 0 } },
    { offset: 4, record: { producerId: 1002, transactional: true, key: 'p2-committed' } },
    { offset: 5, record: { producerId: 1002, transactional: true, marker: 1 } },
    { offset: 6, record: { producerId: 1003, transactional: false, key: 'plain' } },
  ]);
  return batch.messages.map((m) => m.key!.toString());
}

if (import.meta.main) {
  const mode = process.argv[2];
  if (mode === 'kafkajs-first') require('kafkajs');
  if (mode === 'fixed' || mode === 'kafkajs-first') await import('../../src/kafka/load-kafkajs.ts');
  else if (mode !== 'unfixed') throw new Error(`usage: kafkajs-batch-probe.ts fixed|unfixed|kafkajs-first (got ${mode})`);
  process.stdout.write(`${JSON.stringify(await probe())}\n`);
}
