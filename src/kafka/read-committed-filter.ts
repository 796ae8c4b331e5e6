/**
 * The read_committed filter for fetched records, replacing KafkaJS 2.2.4's own
 * (kafkajs/src/consumer/filterAbortedMessages.js; see load-kafkajs.ts).
 *
 * A fetch response lists the aborted transactions that overlap it, each as (producer id, first
 * offset). A record is hidden when it is transactional and its producer has an aborted
 * transaction that began at or before it and whose abort marker has not been passed yet.
 * KafkaJS activates at most one listed transaction per record and assumes the list is sorted
 * by first offset (the broker sorts it by abort marker). A fetch that starts while two aborted
 * transactions are open then shows the second one's records: on a retry topic that is a retry
 * processed twice, so a duplicate output. Here every transaction that has begun is activated,
 * in first-offset order, as the Java consumer does.
 */

/** The parts of a decoded KafkaJS record this filter reads. */
export interface FetchedRecord {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

// A control record's key: version (int16) then type (int16); type 0 is ABORT, 1 is COMMIT.
const isAbortMarker = (r: FetchedRecord) => r.isControlRecord === true && r.key !== null && r.key.length >= 4 && r.key.readInt16BE(2) === 0;

export function filterAbortedRecords<T extends FetchedRecord>({ messages, abortedTransactions }: { messages: T[]; abortedTransactions?: AbortedTransaction[] }): T[] {
  if (!abortedTransactions?.length) return messages;
  const pending = abortedTransactions
    .map((t) => ({ producerId: String(t.producerId), firstOffset: BigInt(t.firstOffset) }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const open = new Set<string>();
  let next = 0;
  return messages.filter((r) => {
    const offset = BigInt(r.offset);
    while (next < pending.length && pending[next]!.firstOffset <= offset) open.add(pending[next++]!.producerId);
    const producerId = String(r.batchContext.producerId);
    if (isAbortMarker(r)) {
      open.delete(producerId);
      return true; // control records are dropped by the caller
    }
    return !(r.batchContext.inTransaction && open.has(producerId));
  });
}
