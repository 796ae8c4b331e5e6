/**
 * REVIEW_USERS_FILE: who may sign in, with which role. JSON:
 *   { "users": { "alice": { "role": "reviewer", "password_hash": "scrypt$32768$8$1$…$…" } } }
 * (`enricher review-user <name> --role reviewer` prints an entry.) The file is read again when it
 * changes, so removing a user or changing a role applies at that user's next request.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../errors.ts';
import { hashPassword, isPasswordHash, verifyPassword } from './passwords.ts';

export const Role = z.enum(['reviewer', 'viewer']);
export type Role = z.infer<typeof Role>;

const UsersFile = z.object({
  users: z.record(
    z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'user names are 1-64 letters, digits, . _ @ or -'),
    z.object({ role: Role, password_hash: z.string().refine(isPasswordHash, 'not a scrypt hash (make one with `enricher review-user`)') }).strict(),
  ),
});

export interface UserStore {
  /** The user's role, or undefined when the name is unknown (or was removed from the file). */
  role(name: string): Role | undefined;
  /** The role when the password is right; undefined otherwise (as slow for an unknown name as for a wrong password). */
  verify(name: string, password: string): Promise<Role | undefined>;
}

function parse(path: string): Map<string, { role: Role; hash: string }> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`REVIEW_USERS_FILE: cannot read ${path} as JSON: ${(e as Error).message}`);
  }
  const parsed = UsersFile.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`REVIEW_USERS_FILE: ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return new Map(Object.entries(parsed.data.users).map(([name, u]) => [name, { role: u.role, hash: u.password_hash }]));
}

/** Throws ConfigError (naming REVIEW_USERS_FILE) when the file is missing or malformed at start. */
export function loadUserStore(path: string, onReloadError: (e: Error) => void): UserStore {
  let users = parse(path);
  let mtime = statSync(path).mtimeMs;
  let checkedAt = Date.now();
  let dummy: string | undefined;
  const current = () => {
    // A stat per second at most; a broken edit keeps the last good file and says so.
    if (Date.now() - checkedAt < 1000) return users;
    checkedAt = Date.now();
    try {
      const m = statSync(path).mtimeMs;
      if (m !== mtime) {
        users = parse(path);
        mtime = m;
      }
    } catch (e) {
      onReloadError(e as Error);
    }
    return users;
  };
  return {
    role: (name) => current().get(name)?.role,
    async verify(name, password) {
      const u = current().get(name);
      dummy ??= hashPassword(randomBytes(12).toString('hex'));
      const ok = await verifyPassword(password, u?.hash ?? dummy);
      return ok && u ? u.role : undefined;
    },
  };
}
