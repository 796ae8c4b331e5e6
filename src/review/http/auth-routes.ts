/**
 * Signing in and out. The sign-in form is protected against CSRF too (a login CSRF would sign a
 * victim into the attacker's account): its token is bound to a random nonce in a short-lived
 * cookie. Failed attempts are throttled per client address.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { field, type FormBody } from '../decision-form.ts';
import { loginPage } from '../views/auth-views.ts';
import { cookieOptions, safeLocalPath, sendHtml, type ConsoleContext } from './context.ts';

const FAILURE_WINDOW_MS = 10 * 60_000;
const MAX_FAILURES = 10;

/** The login nonce of this browser, set when missing. */
export function loginNonce(ctx: ConsoleContext, req: FastifyRequest, reply: FastifyReply): string {
  const existing = req.cookies[ctx.codec.loginCookieName];
  if (existing && /^[A-Za-z0-9_-]{16,64}$/.test(existing)) return existing;
  const nonce = randomBytes(18).toString('base64url');
  reply.setCookie(ctx.codec.loginCookieName, nonce, cookieOptions(ctx, 30 * 60_000));
  return nonce;
}

export function registerAuthRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const failures = new Map<string, number[]>();
  const recent = (ip: string) => (failures.get(ip) ?? []).filter((t) => Date.now() - t < FAILURE_WINDOW_MS);

  app.get('/login', async (req, reply) => {
    if (ctx.access.identify({ headers: req.headers, cookies: req.cookies }, false).identity) return reply.redirect('/', 303);
    const nonce = loginNonce(ctx, req, reply);
    const next = safeLocalPath((req.query as Record<string, string | undefined>).next);
    return sendHtml(reply, loginPage({ csrf: ctx.codec.csrfToken(`login:${nonce}`), next, passwords: ctx.access.passwords }));
  });

  app.post('/login', async (req, reply) => {
    const body = req.body as FormBody | undefined;
    const nonce = req.cookies[ctx.codec.loginCookieName];
    const user = (field(body, 'user') ?? '').trim();
    const next = safeLocalPath(field(body, 'next'));
    const again = (error: string, status: number) => {
      const n = loginNonce(ctx, req, reply);
      return sendHtml(reply, loginPage({ csrf: ctx.codec.csrfToken(`login:${n}`), error, user, next, passwords: ctx.access.passwords }), status);
    };
    if (!nonce || !ctx.codec.checkCsrf(`login:${nonce}`, field(body, '_csrf'))) return again('The form had expired or came from another site. Please sign in again.', 403);
    if (recent(req.ip).length >= MAX_FAILURES) {
      ctx.logger.warn({ ip: req.ip }, 'review console: sign-in throttled after repeated failures');
      return again('Too many failed attempts from your address; wait a few minutes.', 429);
    }
    const signed = await ctx.access.signIn(user, field(body, 'password') ?? '');
    if (!signed) {
      // Bounded: under a spray from many addresses, addresses with no recent failure are forgotten first.
      if (failures.size > 10_000) for (const ip of [...failures.keys()]) if (recent(ip).length === 0) failures.delete(ip);
      failures.set(req.ip, [...recent(req.ip), Date.now()]);
      ctx.logger.info({ user: user.slice(0, 64), ip: req.ip }, 'review console: failed sign-in');
      return again('Wrong user name or password.', 401);
    }
    failures.delete(req.ip);
    reply.setCookie(ctx.codec.cookieName, signed.cookie, cookieOptions(ctx, ctx.config.review.sessionTtlMs));
    reply.clearCookie(ctx.codec.loginCookieName, cookieOptions(ctx));
    ctx.logger.info({ user: signed.identity.user, role: signed.identity.role }, 'review console: signed in');
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (req, reply) => {
    reply.clearCookie(ctx.codec.cookieName, cookieOptions(ctx));
    ctx.logger.info({ user: req.identity?.user }, 'review console: signed out');
    return reply.redirect('/login', 303);
  });
}
