/**
 * The Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then
 * the payload (for JSON Schema, the JSON text). JSON text never starts with a 0 byte, so a
 * reader tells the two formats apart by the first byte and can take both side by side.
 */
import { EnricherError, ErrorCodes, type Stage } from '../errors.ts';

export const MAGIC_BYTE = 0;
export const WIRE_HEADER_BYTES = 5;

export function isWireFormat(bytes: Buffer): boolean {
  return bytes.length > 0 && bytes[0] === MAGIC_BYTE;
}

/** The schema id and payload of a wire-format message; a cut-off header is the message's fault. */
export function readWireHeader(bytes: Buffer, stage: Stage = 'decode'): { schemaId: number; payload: Buffer } {
  if (bytes.length < WIRE_HEADER_BYTES) {
    throw new EnricherError(
      `wire-format message is ${bytes.length} bytes, shorter than its ${WIRE_HEADER_BYTES}-byte header (magic byte 0 + 4-byte schema id)`,
      { code: ErrorCodes.WIRE_HEADER_TRUNCATED, stage, retriable: false },
    );
  }
  return { schemaId: bytes.readUInt32BE(1), payload: bytes.subarray(WIRE_HEADER_BYTES) };
}

export function wireEncode(schemaId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(WIRE_HEADER_BYTES + payload.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  payload.copy(out, WIRE_HEADER_BYTES);
  return out;
}
