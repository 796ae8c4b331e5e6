/**
 * Who is asking. Three ways in, tried in this order:
 *  1. a trusted reverse proxy (REVIEW_PROXY_USER_HEADER names the header carrying the user; the
 *     role is `reviewer` when REVIEW_PROXY_ROLE_HEADER's value lists it, else the users file's
 *     role, else `viewer`). The proxy must set or strip the header on every request.
 *  2. a session cookie from signing in with a password (REVIEW_USERS_FILE);
 *  3. anonymous, only when REVIEW_ANONYMOUS_ROLE allows it (and config.ts only allows that on a
 *     loopback REVIEW_HOST).
 * The proxy and anonymous ways also get a session cookie (issued on a GET), because the CSRF
 * token is bound to a session id.
 */
import type { Config } from '../../config.ts';
import { ConfigError } from '../../errors.ts';
import type { SessionCodec } from './session.ts';
import type { Role, UserStore } from './users-file.ts';

export interface Identity {
  user: string;
  role: Role;
  sid: string;
  via: 'password' | 'proxy' | 'anonymous';
}

export interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
  cookies: Record<string, string | undefined>;
}

export interface Access {
  readonly passwords: boolean;
  /** The identity, and a new session cookie value to set when one had to be made. */
  identify(req: RequestLike, mayIssue: boolean): { identity?: Identity; issue?: string };
  signIn(user: string, password: string): Promise<{ identity: Identity; cookie: string } | undefined>;
}

export const ANONYMOUS = 'anonymous';
const USER = /^[^\s\x00-\x1f]{1,128}$/;

const header = (req: RequestLike, name: string) => {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

export function createAccess(deps: { review: Config['review']; users: UserStore | undefined; codec: SessionCodec }): Access {
  const { review, users, codec } = deps;
  const session = (req: RequestLike) => codec.decode(req.cookies[codec.cookieName]);

  /** A session for a user the proxy or the anonymous rule vouches for: the current one if it is theirs, else a new one. */
  function vouched(req: RequestLike, user: string, role: Role, via: Identity['via'], mayIssue: boolean) {
    const s = session(req);
    if (s && s.user === user) return { identity: { user, role, sid: s.sid, via } };
    if (!mayIssue) return {};
    const made = codec.encode(user);
    return { identity: { user, role, sid: made.session.sid, via }, issue: made.value };
  }

  return {
    passwords: users !== undefined,
    identify(req, mayIssue) {
      if (review.proxyUserHeader) {
        const user = header(req, review.proxyUserHeader)?.trim();
        if (user && USER.test(user)) {
          const roles = review.proxyRoleHeader ? (header(req, review.proxyRoleHeader) ?? '').split(/[\s,]+/) : [];
          const role: Role = roles.includes('reviewer') ? 'reviewer' : (users?.role(user) ?? 'viewer');
          return vouched(req, user, role, 'proxy', mayIssue);
        }
      }
      const s = session(req);
      if (s && users && s.user !== ANONYMOUS) {
        const role = users.role(s.user);
        if (role) return { identity: { user: s.user, role, sid: s.sid, via: 'password' } };
      }
      if (review.anonymousRole !== 'off') return vouched(req, ANONYMOUS, review.anonymousRole, 'anonymous', mayIssue);
      return {};
    },
    async signIn(user, password) {
      if (!users || !USER.test(user) || user === ANONYMOUS) return undefined;
      const role = await users.verify(user, password);
      if (!role) return undefined;
      const made = codec.encode(user);
      return { identity: { user, role, sid: made.session.sid, via: 'password' }, cookie: made.value };
    },
  };
}

/** Throws ConfigError when nobody could ever sign in. */
export function checkAccessConfig(config: Pick<Config, 'review'>): void {
  const r = config.review;
  if (!r.usersFile && !r.proxyUserHeader && r.anonymousRole === 'off') {
    throw new ConfigError('REVIEW_USERS_FILE: the review console needs a way to sign in: set REVIEW_USERS_FILE (users and scrypt hashes), REVIEW_PROXY_USER_HEADER (a trusted proxy), or REVIEW_ANONYMOUS_ROLE (loopback only)');
  }
}
