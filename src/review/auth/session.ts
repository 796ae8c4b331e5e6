/**
 * Sessions without a server-side store: the cookie holds the user, a random session id and the
 * expiry, signed with HMAC-SHA256 under REVIEW_SESSION_SECRET. Every console instance with the
 * same secret accepts it, and a restart keeps people signed in. The role is not in the cookie:
 * it is looked up at each request, so a changed users file applies at once.
 *
 * CSRF tokens are HMACs of the session id (synchronizer tokens without storage): a page from
 * another origin can make the browser send the cookie, but cannot read the token.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  user: string;
  sid: string;
  expiresAt: number;
}

export interface SessionCodec {
  readonly cookieName: string;
  readonly loginCookieName: string;
  encode(user: string, now?: number): { value: string; session: Session };
  decode(value: string | undefined, now?: number): Session | undefined;
  csrfToken(sid: string): string;
  checkCsrf(sid: string, token: unknown): boolean;
}

const b64 = (b: Buffer) => b.toString('base64url');

export function createSessionCodec(opts: { secret: Buffer; ttlMs: number; secure: boolean }): SessionCodec {
  const mac = (purpose: string, data: string) => createHmac('sha256', opts.secret).update(`${purpose}\n${data}`).digest();
  const equal = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);
  // __Host- cookies must be Secure, host-only and Path=/: nothing on another subdomain can set them.
  const prefix = opts.secure ? '__Host-' : '';
  return {
    cookieName: `${prefix}enricher-review`,
    loginCookieName: `${prefix}enricher-review-login`,
    encode(user, now = Date.now()) {
      const session: Session = { user, sid: b64(randomBytes(18)), expiresAt: now + opts.ttlMs };
      const payload = b64(Buffer.from(JSON.stringify({ u: session.user, s: session.sid, e: session.expiresAt })));
      return { value: `${payload}.${b64(mac('session', payload))}`, session };
    },
    decode(value, now = Date.now()) {
      if (!value || value.length > 2048) return undefined;
      const [payload, sig, extra] = value.split('.');
      if (!payload || !sig || extra !== undefined || !equal(Buffer.from(sig, 'base64url'), mac('session', payload))) return undefined;
      try {
        const o = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u?: unknown; s?: unknown; e?: unknown };
        if (typeof o.u !== 'string' || typeof o.s !== 'string' || typeof o.e !== 'number' || o.e <= now) return undefined;
        return { user: o.u, sid: o.s, expiresAt: o.e };
      } catch {
        return undefined;
      }
    },
    csrfToken: (sid) => b64(mac('csrf', sid)),
    checkCsrf(sid, token) {
      return typeof token === 'string' && token.length < 200 && equal(Buffer.from(token, 'base64url'), mac('csrf', sid));
    },
  };
}
