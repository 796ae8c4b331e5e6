/**
 * Just enough of the Kafka wire format for the fault proxy (kafka-fault-proxy.ts) to pick a
 * request and to say what the broker answered: the frames (int32 size, then that many bytes),
 * the request header (api key, version, correlation id, client id) and the first string of a
 * few request bodies. A response frame starts with its request's correlation id.
 */
/** The requests the proxy names; any other is forwarded as it is. */
export const API = {
  Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10,
  JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14, ApiVersions: 18,
  InitProducerId: 22, AddPartitionsToTxn: 24, AddOffsetsToTxn: 25, EndTxn: 26, TxnOffsetCommit: 28,
} as const;
export type ApiName = keyof typeof API;
const NAMES = new Map<number, ApiName>(Object.entries(API).map(([n, k]) => [k, n as ApiName]));
export const apiName = (key: number): string => NAMES.get(key) ?? `api${key}`;

/**
 * The first version at which each API's request is "flexible" (a tagged-field header and compact
 * strings). Below it the body begins with a plain int16-length string we can read: the
 * transactional id (Produce v3+, InitProducerId, the *Txn APIs), the group (OffsetFetch) or the
 * coordinator key (FindCoordinator v0-v2). KafkaJS 2.2.4 only speaks versions below these.
 */
const FLEXIBLE_FROM: Partial<Record<number, number>> = { 0: 9, 9: 6, 10: 3, 22: 2, 24: 3, 25: 3, 26: 3, 28: 3 };
/** Responses that begin with throttle_time_ms then error_code (non-flexible versions): worth logging. */
const ERROR_CODE_AFTER_THROTTLE = new Set<number>([API.InitProducerId, API.AddOffsetsToTxn, API.EndTxn]);

export interface RequestInfo {
  apiKey: number;
  version: number;
  correlationId: number;
  clientId: string | null;
  /** The transactional id, group or coordinator key, where the version lets us read it. */
  key: string | null | undefined;
  /** EndTxn only: commit (true) or abort (false). */
  commit?: boolean;
}

/** Splits a byte stream into Kafka frames (int32 size, then that many bytes). */
export function frameSplitter(): (chunk: Buffer) => Buffer[] {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    const frames: Buffer[] = [];
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const end = 4 + buf.readInt32BE(0);
      frames.push(buf.subarray(0, end));
      buf = buf.subarray(end);
    }
    return frames;
  };
}

function readString(b: Buffer, at: number): { value: string | null; next: number } | undefined {
  if (b.length < at + 2) return undefined;
  const len = b.readInt16BE(at);
  if (len < 0) return { value: null, next: at + 2 };
  if (b.length < at + 2 + len) return undefined;
  return { value: b.toString('utf8', at + 2, at + 2 + len), next: at + 2 + len };
}

export function parseRequest(frame: Buffer): RequestInfo {
  const apiKey = frame.readInt16BE(4);
  const version = frame.readInt16BE(6);
  const correlationId = frame.readInt32BE(8);
  const client = readString(frame, 12);
  const info: RequestInfo = { apiKey, version, correlationId, clientId: client?.value ?? null, key: undefined };
  const flexibleFrom = FLEXIBLE_FROM[apiKey];
  if (client && flexibleFrom !== undefined && version < flexibleFrom && !(apiKey === API.Produce && version < 3)) {
    const key = readString(frame, client.next);
    info.key = key?.value;
    // EndTxn: transactional_id, producer_id int64, producer_epoch int16, committed int8.
    if (apiKey === API.EndTxn && key && frame.length > key.next + 10) info.commit = frame.readInt8(key.next + 10) === 1;
  }
  return info;
}

/** The broker's error code in a response to r, where it can be read (0: the broker did it). */
export function responseErrorCode(frame: Buffer, r: RequestInfo): number | undefined {
  const flexible = r.version >= (FLEXIBLE_FROM[r.apiKey] ?? Infinity);
  // size, correlation id, throttle_time_ms, then error_code.
  return ERROR_CODE_AFTER_THROTTLE.has(r.apiKey) && !flexible && frame.length >= 14 ? frame.readInt16BE(12) : undefined;
}
