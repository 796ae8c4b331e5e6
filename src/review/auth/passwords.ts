/**
 * Password hashes for REVIEW_USERS_FILE: scrypt from node:crypto, stored as
 * `scrypt$<N>$<r>$<p>$<salt, base64>$<hash, base64>` so that the cost can be raised later
 * without invalidating the hashes already written.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

const DEFAULTS = { N: 32_768, r: 8, p: 1 };
const KEY_LENGTH = 32;
const PATTERN = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

// scrypt needs 128 * N * r bytes; Node's default cap (32 MiB) is exactly N=32768, r=8, so lift it.
const maxmem = (N: number, r: number) => 256 * N * r;

export function hashPassword(password: string, params = DEFAULTS): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password.normalize('NFC'), salt, KEY_LENGTH, { ...params, maxmem: maxmem(params.N, params.r) });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function isPasswordHash(s: string): boolean {
  const m = PATTERN.exec(s);
  if (!m) return false;
  const N = Number(m[1]);
  // N must be a power of two above 1; a cost past 2^20 would stall every sign-in.
  return N > 1 && (N & (N - 1)) === 0 && N <= 1_048_576 && Number(m[2]) >= 1 && Number(m[2]) <= 32 && Number(m[3]) >= 1 && Number(m[3]) <= 16;
}

/** Constant-time comparison; false for a malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const m = PATTERN.exec(encoded);
  if (!m || !isPasswordHash(encoded)) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const expected = Buffer.from(m[5]!, 'base64');
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFC'), Buffer.from(m[4]!, 'base64'), expected.length, { N, r, p, maxmem: maxmem(N, r) }, (e, key) => (e ? reject(e) : resolve(key))),
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
