/**
 * The console's HTTP server: Fastify with server-rendered pages and two static assets. Every
 * response carries a strict Content-Security-Policy (scripts and styles only from the console
 * itself, no inline script, no framing); every request but sign-in and the assets needs an
 * identity (401 without one); every state-changing request needs the session's CSRF token
 * and, when the browser says where it comes from, the same origin (403 otherwise).
 */
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { field, parseForm, type FormBody } from '../decision-form.ts';
import { loginPage, messagePage } from '../views/auth-views.ts';
import { cookieOptions, sendHtml, type ConsoleContext } from './context.ts';
import { registerAuthRoutes, loginNonce } from './auth-routes.ts';
import { registerItemRoutes } from './item-routes.ts';
import { registerPageRoutes } from './page-routes.ts';
import { registerQueueRoutes } from './queue-routes.ts';

const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
  "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');

const PUBLIC = (url: string) => url === '/login' || url.startsWith('/login?') || url.startsWith('/assets/') || url === '/healthz' || url === '/favicon.ico';

function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function csrfOk(ctx: ConsoleContext, req: FastifyRequest, sid: string): boolean {
  const token = field(req.body as FormBody | undefined, '_csrf') ?? (req.headers['x-csrf-token'] as string | undefined);
  return sameOrigin(req) && ctx.codec.checkCsrf(sid, token);
}

function unauthorized(ctx: ConsoleContext, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const wantsHtml = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
  if (!wantsHtml) return reply.code(401).type('text/plain; charset=utf-8').send('sign in first (401)');
  const nonce = loginNonce(ctx, req, reply);
  return sendHtml(reply, loginPage({ csrf: ctx.codec.csrfToken(`login:${nonce}`), next: req.url, passwords: ctx.access.passwords }), 401);
}

export function buildServer(ctx: ConsoleContext): FastifyInstance {
  const app = Fastify({ bodyLimit: 4 * 1024 * 1024, forceCloseConnections: true, trustProxy: false });
  void app.register(fastifyCookie);
  app.decorateRequest('identity', undefined);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, parseForm(body as string)));

  app.addHook('onRequest', async (_req, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on form posts, and the origin check needs it.
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cache-control', 'no-store');
  });

  app.addHook('preHandler', async (req, reply) => {
    if (PUBLIC(req.url)) return;
    const { identity, issue } = ctx.access.identify({ headers: req.headers, cookies: req.cookies }, req.method === 'GET');
    if (issue) reply.setCookie(ctx.codec.cookieName, issue, cookieOptions(ctx, ctx.config.review.sessionTtlMs));
    if (!identity) return unauthorized(ctx, req, reply);
    req.identity = identity;
    if (req.method !== 'GET' && req.method !== 'HEAD' && !csrfOk(ctx, req, identity.sid)) {
      ctx.logger.warn({ user: identity.user, url: req.url, origin: req.headers.origin }, 'review console: refused a request without a valid CSRF token');
      return sendHtml(reply, messagePage(undefined, 'Refused', 'The request had no valid CSRF token or came from another site (403). Reload the page and try again.'), 403);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) ctx.logger.error({ err: err.message, url: req.url }, 'review console: request failed');
    return sendHtml(reply, messagePage(undefined, status === 500 ? 'Something went wrong' : 'Bad request', status === 500 ? 'The console failed on this request; it is logged. Nothing was published.' : err.message), status);
  });
  app.setNotFoundHandler((_req, reply) => sendHtml(reply, messagePage(undefined, 'Not found', 'There is nothing at this address.'), 404));

  registerAuthRoutes(app, ctx);
  registerQueueRoutes(app, ctx);
  registerItemRoutes(app, ctx);
  registerPageRoutes(app, ctx);
  return app;
}
