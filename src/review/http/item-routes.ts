/** One item: its page, its live status, and the decision a reviewer posts about it. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decide } from '../decide.ts';
import { field, parseDecisionForm, type FormBody } from '../decision-form.ts';
import { applyFilter, filterQuery, neighbours, parseFilter } from '../queue-filter.ts';
import type { QueueItem } from '../review-state.ts';
import { messagePage } from '../views/auth-views.ts';
import { href, itemPath } from '../views/html.ts';
import { decidedText, itemPage } from '../views/item-view.ts';
import type { Flash } from '../views/layout.ts';
import { flashFrom } from './queue-routes.ts';
import { pageContext, sendHtml, type ConsoleContext } from './context.ts';

type Query = Record<string, string | undefined>;

function render(ctx: ConsoleContext, req: FastifyRequest, reply: FastifyReply, q: QueueItem, query: Query, flash?: Flash, status = 200) {
  const filter = parseFilter(query);
  const { previous, next } = neighbours(applyFilter(ctx.state.openItems(), filter), q.documentId);
  const page = itemPage(pageContext(ctx, req), {
    q, open: ctx.state.isOpen(q), decision: ctx.state.decision(q.documentId), categories: ctx.config.llm.categories,
    filterQuery: filterQuery(filter), previous, next, now: Date.now(),
  }, flash, status);
  return sendHtml(reply, page.body, page.status);
}

const notFound = (ctx: ConsoleContext, req: FastifyRequest, reply: FastifyReply) =>
  sendHtml(reply, messagePage(pageContext(ctx, req), 'No such item', 'This document is not in the review topic (or the console has not read it yet).'), 404);

export function registerItemRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get<{ Params: { id: string } }>('/items/:id', async (req, reply) => {
    const q = ctx.state.item(req.params.id);
    if (!q) return notFound(ctx, req, reply);
    return render(ctx, req, reply, q, req.query as Query, flashFrom(req.query as Query));
  });

  app.get<{ Params: { id: string } }>('/items/:id/status', async (req, reply) => {
    const q = ctx.state.item(req.params.id);
    const version = (req.query as Query).version;
    const d = ctx.state.decision(req.params.id);
    const open = q !== undefined && ctx.state.isOpen(q) && `${q.version.partition}:${q.version.offset}` === version;
    return reply.send({ open, text: open ? '' : d && q && !ctx.state.isOpen(q) ? decidedText(d) : 'This item changed: a newer version arrived. Reload to see it.' });
  });

  app.post<{ Params: { id: string } }>('/items/:id/decide', async (req, reply) => {
    const q = ctx.state.item(req.params.id);
    if (!q) return notFound(ctx, req, reply);
    const body = req.body as FormBody | undefined;
    const back: Query = Object.fromEntries(new URLSearchParams(field(body, 'return') ?? ''));
    if (req.identity!.role !== 'reviewer') {
      return render(ctx, req, reply, q, back, { kind: 'error', text: `Your role (${req.identity!.role}) may look but not decide (403).` }, 403);
    }
    const decidedFlash = (): Flash => ({ kind: 'error', text: decidedText(ctx.state.decision(q.documentId)!) });
    if (!ctx.state.isOpen(q)) return render(ctx, req, reply, q, back, decidedFlash(), 409);
    if (field(body, 'version') !== `${q.version.partition}:${q.version.offset}`) {
      return render(ctx, req, reply, q, back, { kind: 'error', text: 'This document changed while you looked at it: a newer version arrived. Look again before deciding.' }, 409);
    }
    const parsed = parseDecisionForm(body, ctx.config.llm.categories);
    if ('error' in parsed) return render(ctx, req, reply, q, back, { kind: 'error', text: parsed.error }, 400);

    // The next item is chosen before deciding, in the reviewer's filter and order.
    const filter = parseFilter(back);
    const next = neighbours(applyFilter(ctx.state.openItems(), filter), q.documentId).next;
    const result = (await decide(ctx, req.identity!.user, [{ q, input: parsed.input }]))[0]!;
    switch (result.status) {
      case 'written': {
        const p = new URLSearchParams(filterQuery(filter));
        p.set('done', result.decision.decision);
        p.set('doc', q.documentId);
        const target = next && ctx.state.isOpen(next) ? itemPath(next.documentId) : '/';
        return reply.redirect(href(target, p.toString()), 303);
      }
      case 'decided':
        return render(ctx, req, reply, q, back, { kind: 'error', text: decidedText(result.by) }, 409);
      case 'stale':
        return render(ctx, req, reply, q, back, { kind: 'error', text: 'This document changed while you looked at it: a newer version arrived. Look again before deciding.' }, 409);
      case 'unavailable':
        return render(ctx, req, reply, q, back, { kind: 'error', text: result.message }, 503);
    }
  });
}
