/** What every route of the console needs, passed in once (no module state). */
import type { ValueEncoder } from '../../kafka/serde.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import type { RuntimeSettings } from '../../settings/runtime-settings.ts';
import type { Access, Identity } from '../auth/access.ts';
import type { SessionCodec } from '../auth/session.ts';
import type { DecisionWriter } from '../decision-writer.ts';
import type { ShadowView } from '../candidates/shadow-follower.ts';
import type { OverviewSources } from '../overview/overview-sources.ts';
import type { ReviewState } from '../review-state.ts';
import type { PageContext } from '../views/layout.ts';

export interface ConsoleContext {
  config: Config;
  logger: Logger;
  state: ReviewState;
  writer: DecisionWriter;
  overview: OverviewSources;
  /** documents.shadow, followed for the Candidates page. */
  shadow: ShadowView;
  settings: RuntimeSettings;
  access: Access;
  codec: SessionCodec;
  /** How the console's outputs are encoded: plain JSON, or the wire format with a schema registry. */
  encode: ValueEncoder;
  /** Whether both topics were read to their end at start. */
  ready(): boolean;
  unreadable(): number;
}

declare module 'fastify' {
  interface FastifyRequest {
    identity: Identity | undefined;
  }
}

export function pageContext(ctx: ConsoleContext, req: FastifyRequest): PageContext {
  const id = req.identity!;
  return { user: id.user, role: id.role, csrf: ctx.codec.csrfToken(id.sid), canSignOut: id.via === 'password', stateVersion: ctx.state.version() };
}

export function sendHtml(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

export function cookieOptions(ctx: ConsoleContext, maxAgeMs?: number) {
  return {
    httpOnly: true, sameSite: 'strict' as const, secure: ctx.config.review.cookieSecure, path: '/',
    ...(maxAgeMs !== undefined ? { maxAge: Math.floor(maxAgeMs / 1000) } : {}),
  };
}

/** A local path to go back to after signing in: never another origin (`//host`, `/\host`). */
export function safeLocalPath(p: string | undefined): string {
  return p && /^\/(?![/\\])/.test(p) && p.length < 2000 ? p : '/';
}
