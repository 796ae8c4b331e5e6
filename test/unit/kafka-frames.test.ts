/**
 * The fault proxy picks requests by reading Kafka's framing itself (test/support/kafka-frames.ts):
 * checked here against frames that KafkaJS's own encoders write, split at awkward places as
 * TCP delivers them.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { API, frameSplitter, parseRequest, responseErrorCode } from '../support/kafka-frames.ts';

const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
const encodeRequest = require('kafkajs/src/protocol/request') as (r: { correlationId: number; clientId: string; request: unknown }) => Promise<Encoded>;
const { requests } = require('kafkajs/src/protocol/requests') as { requests: Record<string, { protocol(v: { version: number }): (args: object) => { request: unknown } }> };

async function frame(api: string, version: number, correlationId: number, args: object): Promise<Buffer> {
  const { request } = requests[api]!.protocol({ version })(args);
  return (await encodeRequest({ correlationId, clientId: 'llm-enricher', request })).buffer;
}

describe('the fault proxy\'s reading of Kafka frames', () => {
  it('names the request, its correlation id, client id and transactional id or group, whatever the chunking', async () => {
    const txn = { transactionalId: 'g.tx.raw.0', producerId: 4000, producerEpoch: 3 };
    const frames = [
      await frame('EndTxn', 1, 7, { ...txn, transactionResult: true }),
      await frame('EndTxn', 1, 8, { ...txn, transactionResult: false }),
      await frame('TxnOffsetCommit', 1, 9, { ...txn, groupId: 'g', topics: [{ topic: 'raw', partitions: [{ partition: 0, offset: '12' }] }] }),
      await frame('AddOffsetsToTxn', 1, 10, { ...txn, groupId: 'g' }),
      await frame('InitProducerId', 1, 11, { transactionalId: 'g.tx.raw.0', transactionTimeout: 60_000 }),
      await frame('OffsetFetch', 4, 12, { groupId: 'g', topics: [{ topic: 'raw', partitions: [{ partition: 0 }] }] }),
    ];
    const all = Buffer.concat(frames);
    const split = frameSplitter();
    const out: Buffer[] = [];
    for (let i = 0; i < all.length; i += 5) out.push(...split(all.subarray(i, i + 5)));
    expect(out.map((f) => f.toString('hex'))).toEqual(frames.map((f) => f.toString('hex')));
    expect(out.map(parseRequest)).toEqual([
      { apiKey: API.EndTxn, version: 1, correlationId: 7, clientId: 'llm-enricher', key: 'g.tx.raw.0', commit: true },
      { apiKey: API.EndTxn, version: 1, correlationId: 8, clientId: 'llm-enricher', key: 'g.tx.raw.0', commit: false },
      { apiKey: API.TxnOffsetCommit, version: 1, correlationId: 9, clientId: 'llm-enricher', key: 'g.tx.raw.0' },
      { apiKey: API.AddOffsetsToTxn, version: 1, correlationId: 10, clientId: 'llm-enricher', key: 'g.tx.raw.0' },
      { apiKey: API.InitProducerId, version: 1, correlationId: 11, clientId: 'llm-enricher', key: 'g.tx.raw.0' },
      { apiKey: API.OffsetFetch, version: 4, correlationId: 12, clientId: 'llm-enricher', key: 'g' },
    ]);
  });

  it('reads the error code of an EndTxn response, and leaves it unread where the layout is unknown', () => {
    // size, correlation id 7, throttle_time_ms 0, error_code 47 (INVALID_PRODUCER_EPOCH)
    const response = Buffer.alloc(14);
    response.writeInt32BE(10, 0);
    response.writeInt32BE(7, 4);
    response.writeInt16BE(47, 12);
    const endTxn = { apiKey: API.EndTxn, version: 1, correlationId: 7, clientId: null, key: 'x' };
    expect(responseErrorCode(response, endTxn)).toBe(47);
    expect(responseErrorCode(response, { ...endTxn, version: 3 })).toBeUndefined();
    expect(responseErrorCode(response, { ...endTxn, apiKey: API.TxnOffsetCommit })).toBeUndefined();
  });
});
