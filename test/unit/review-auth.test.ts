import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { createAccess } from '../../src/review/auth/access.ts';
import { hashPassword, isPasswordHash, verifyPassword } from '../../src/review/auth/passwords.ts';
import { createSessionCodec } from '../../src/review/auth/session.ts';
import { loadUserStore } from '../../src/review/auth/users-file.ts';

const fast = { N: 1024, r: 8, p: 1 };

function usersFile(users: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'users-')), 'users.json');
  writeFileSync(path, JSON.stringify({ users }));
  return path;
}

describe('passwords (scrypt)', () => {
  it('verifies the right password and refuses a wrong one or a malformed hash', async () => {
    const h = hashPassword('correct horse battery', fast);
    expect(isPasswordHash(h)).toBe(true);
    expect(await verifyPassword('correct horse battery', h)).toBe(true);
    expect(await verifyPassword('correct horse batterY', h)).toBe(false);
    expect(await verifyPassword('x', 'scrypt$3$8$1$AAAA$BBBB')).toBe(false); // N not a power of two
    expect(await verifyPassword('x', 'plain-text-password')).toBe(false);
    expect(hashPassword('same', fast)).not.toBe(hashPassword('same', fast)); // salted
  });

  it('uses N=32768, r=8 by default', () => {
    expect(hashPassword('p').startsWith('scrypt$32768$8$1$')).toBe(true);
  });
});

describe('the users file', () => {
  it('names REVIEW_USERS_FILE when the file is missing or wrong', () => {
    expect(() => loadUserStore('/nonexistent/users.json', () => undefined)).toThrow(ConfigError);
    expect(() => loadUserStore(usersFile({ alice: { role: 'admin', password_hash: hashPassword('p', fast) } }), () => undefined)).toThrow(/REVIEW_USERS_FILE.*role/);
    expect(() => loadUserStore(usersFile({ alice: { role: 'viewer', password_hash: 'secret' } }), () => undefined)).toThrow(/not a scrypt hash/);
  });

  it('verifies users and gives their role; unknown users and wrong passwords get none', async () => {
    const store = loadUserStore(usersFile({ alice: { role: 'reviewer', password_hash: hashPassword('pw-alice', fast) }, vic: { role: 'viewer', password_hash: hashPassword('pw-vic', fast) } }), () => undefined);
    expect(await store.verify('alice', 'pw-alice')).toBe('reviewer');
    expect(await store.verify('vic', 'pw-vic')).toBe('viewer');
    expect(await store.verify('alice', 'pw-vic')).toBeUndefined();
    expect(await store.verify('mallory', 'pw-alice')).toBeUndefined();
    expect(store.role('vic')).toBe('viewer');
  });
});

describe('sessions and CSRF tokens', () => {
  const codec = createSessionCodec({ secret: Buffer.from('k'.repeat(32)), ttlMs: 60_000, secure: true });

  it('round-trips a session; a tampered, foreign or expired cookie is refused', () => {
    const { value, session } = codec.encode('alice', 1_000);
    expect(codec.decode(value, 2_000)).toEqual(session);
    const [payload, sig] = value.split('.');
    const forged = Buffer.from(JSON.stringify({ u: 'mallory', s: session.sid, e: session.expiresAt })).toString('base64url');
    expect(codec.decode(`${forged}.${sig}`, 2_000)).toBeUndefined();
    expect(codec.decode(`${payload}.${sig}x`, 2_000)).toBeUndefined();
    expect(codec.decode(value, 61_001)).toBeUndefined();
    const other = createSessionCodec({ secret: Buffer.from('z'.repeat(32)), ttlMs: 60_000, secure: true });
    expect(other.decode(value, 2_000)).toBeUndefined();
    expect(codec.cookieName).toBe('__Host-enricher-review');
  });

  it('a CSRF token is bound to its session', () => {
    const a = codec.encode('alice').session;
    const b = codec.encode('alice').session;
    expect(codec.checkCsrf(a.sid, codec.csrfToken(a.sid))).toBe(true);
    expect(codec.checkCsrf(b.sid, codec.csrfToken(a.sid))).toBe(false);
    expect(codec.checkCsrf(a.sid, undefined)).toBe(false);
    expect(codec.checkCsrf(a.sid, '')).toBe(false);
  });
});

describe('access', () => {
  const codec = createSessionCodec({ secret: Buffer.from('k'.repeat(32)), ttlMs: 60_000, secure: false });
  const review = (env: Record<string, string>) => loadConfig({ REVIEW_USERS_FILE: '/x', ...env }).review;

  it('trusts the proxy header only when configured, with the role its role header gives', () => {
    const access = createAccess({ review: review({ REVIEW_PROXY_USER_HEADER: 'X-Forwarded-User', REVIEW_PROXY_ROLE_HEADER: 'x-forwarded-groups' }), users: undefined, codec });
    const first = access.identify({ headers: { 'x-forwarded-user': 'dana', 'x-forwarded-groups': 'staff,reviewer' }, cookies: {} }, true);
    expect(first.identity).toMatchObject({ user: 'dana', role: 'reviewer', via: 'proxy' });
    expect(first.issue).toBeDefined();
    const again = access.identify({ headers: { 'x-forwarded-user': 'dana' }, cookies: { [codec.cookieName]: first.issue! } }, true);
    expect(again.identity).toMatchObject({ user: 'dana', role: 'viewer', sid: first.identity!.sid });
    expect(again.issue).toBeUndefined();
    expect(access.identify({ headers: {}, cookies: {} }, true).identity).toBeUndefined();
    const plain = createAccess({ review: review({}), users: undefined, codec });
    expect(plain.identify({ headers: { 'x-forwarded-user': 'dana' }, cookies: {} }, true).identity).toBeUndefined();
  });

  it('gives anonymous visitors the configured role only when it is turned on', () => {
    const anon = createAccess({ review: review({ REVIEW_ANONYMOUS_ROLE: 'viewer' }), users: undefined, codec });
    expect(anon.identify({ headers: {}, cookies: {} }, true).identity).toMatchObject({ user: 'anonymous', role: 'viewer', via: 'anonymous' });
    // A POST cannot mint a session: its CSRF token could not have been on any page.
    expect(anon.identify({ headers: {}, cookies: {} }, false).identity).toBeUndefined();
  });

  it('anonymous access is refused at start unless REVIEW_HOST is a loopback address', () => {
    expect(() => loadConfig({ REVIEW_ANONYMOUS_ROLE: 'reviewer', REVIEW_HOST: '0.0.0.0' })).toThrow(/REVIEW_ANONYMOUS_ROLE/);
    expect(loadConfig({ REVIEW_ANONYMOUS_ROLE: 'reviewer', REVIEW_HOST: '::1' }).review.anonymousRole).toBe('reviewer');
  });

  it('never echoes REVIEW_SESSION_SECRET in a configuration error', () => {
    expect(() => loadConfig({ REVIEW_SESSION_SECRET: 'short-secret-value' })).toThrow(ConfigError);
    try {
      loadConfig({ REVIEW_SESSION_SECRET: 'short-secret-value' });
    } catch (e) {
      expect((e as Error).message).toContain('REVIEW_SESSION_SECRET');
      expect((e as Error).message).not.toContain('short-secret-value');
    }
  });
});
