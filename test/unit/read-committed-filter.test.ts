import { describe, expect, it } from 'vitest';
import { filterAbortedRecords, type FetchedRecord } from '../../src/kafka/read-committed-filter.ts';

const rec = (offset: number, producerId: string, inTransaction = true): FetchedRecord & { id: string } => ({
  id: `${producerId}@${offset}`, offset: String(offset), key: Buffer.from('k'), batchContext: { producerId, inTransaction },
});
const marker = (offset: number, producerId: string, type: 0 | 1): FetchedRecord & { id: string } => {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  return { id: `${type === 0 ? 'abort' : 'commit'}:${producerId}@${offset}`, offset: String(offset), key, isControlRecord: true, batchContext: { producerId, inTransaction: true } };
};
const ids = (rs: { id: string }[]) => rs.map((r) => r.id);

describe('filterAbortedRecords', () => {
  it('passes everything when no transaction was aborted', () => {
    const rs = [rec(0, '1'), rec(1, '2', false)];
    expect(filterAbortedRecords({ messages: rs, abortedTransactions: [] })).toEqual(rs);
  });

  it('hides every open aborted transaction at the first record, even when the list is not in first-offset order', () => {
    // A fetch from offset 2 while transactions of producers 1 and 2 are open; the broker lists
    // them by abort marker, not by first offset.
    const rs = [rec(2, '2'), rec(3, '1'), marker(4, '2', 0), marker(5, '1', 0), rec(6, '2'), marker(7, '2', 1), rec(8, '3', false)];
    const out = filterAbortedRecords({ messages: rs, abortedTransactions: [{ producerId: '2', firstOffset: '1' }, { producerId: '1', firstOffset: '0' }] });
    expect(ids(out)).toEqual(['abort:2@4', 'abort:1@5', '2@6', 'commit:2@7', '3@8']);
  });

  it('shows a producer committed transaction between two of its aborted ones', () => {
    const rs = [rec(0, '1'), marker(1, '1', 0), rec(2, '1'), marker(3, '1', 1), rec(4, '1'), marker(5, '1', 0)];
    const out = filterAbortedRecords({ messages: rs, abortedTransactions: [{ producerId: '1', firstOffset: '0' }, { producerId: '1', firstOffset: '4' }] });
    expect(ids(out).filter((i) => !i.includes(':'))).toEqual(['1@2']);
  });

  it('hides only transactional records of the aborted producer, and a plain record keyed like a marker ends nothing', () => {
    const lookalike = { ...rec(1, '1', false), key: Buffer.alloc(4), id: 'plain-zero-key' };
    const rs = [rec(0, '1'), lookalike, rec(2, '1'), rec(3, '9')];
    const out = filterAbortedRecords({ messages: rs, abortedTransactions: [{ producerId: '1', firstOffset: '0' }] });
    expect(ids(out)).toEqual(['plain-zero-key', '9@3']);
  });
});
