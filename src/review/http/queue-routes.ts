/** The queue (with its live fragment) and the bulk actions on the current filter. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decide } from '../decide.ts';
import { field, fields, parseRejectReason, type FormBody } from '../decision-form.ts';
import { applyFilter, filterChoices, filterQuery, parseFilter, summarize } from '../queue-filter.ts';
import type { QueueItem } from '../review-state.ts';
import { bulkConfirmPage, parseBulkItemValue } from '../views/bulk-view.ts';
import { messagePage } from '../views/auth-views.ts';
import { href } from '../views/html.ts';
import type { Flash } from '../views/layout.ts';
import { queueLive, queuePage, type QueueViewModel } from '../views/queue-view.ts';
import { pageContext, sendHtml, type ConsoleContext } from './context.ts';

type Query = Record<string, string | undefined>;

/** A confirmation after a redirect: fixed sentences, with only the counts and the id taken from the link. */
export function flashFrom(q: Query): Flash | undefined {
  const n = (k: string) => Math.max(0, Math.min(1e6, Number(q[k]) || 0));
  const doc = (q.doc ?? '').slice(0, 200);
  switch (q.done) {
    case 'accepted': return { kind: 'ok', text: `Accepted ${doc}: published to the enriched topic.` };
    case 'edited': return { kind: 'ok', text: `Edited and accepted ${doc}: published to the enriched topic.` };
    case 'rejected': return { kind: 'ok', text: `Rejected ${doc}: published to the rejected topic.` };
    case 'bulk': return { kind: n('failed') ? 'error' : 'ok', text: `Bulk: ${n('written')} decided, ${n('skipped')} left alone (decided meanwhile or changed)${n('failed') ? `, ${n('failed')} not written (Kafka unavailable; try again)` : ''}.` };
    default: return undefined;
  }
}

export function queueModel(ctx: ConsoleContext, query: Query): QueueViewModel {
  const open = ctx.state.openItems();
  const filter = parseFilter(query);
  return {
    filter, items: applyFilter(open, filter), summary: summarize(open, Date.now()), choices: filterChoices(open),
    categories: ctx.config.llm.categories, now: Date.now(), bulkMax: ctx.config.review.bulkMax, ready: ctx.ready(),
  };
}

function reviewerOnly(ctx: ConsoleContext, req: FastifyRequest): string | undefined {
  return req.identity?.role === 'reviewer' ? undefined : messagePage(pageContext(ctx, req), 'Not allowed', `Your role (${req.identity?.role ?? 'none'}) may look but not decide (403).`);
}

export function registerQueueRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get('/', async (req, reply) => {
    const query = req.query as Query;
    const vm = queueModel(ctx, query);
    if (query.fragment) return sendHtml(reply, queueLive(vm, pageContext(ctx, req)).value);
    return sendHtml(reply, queuePage(pageContext(ctx, req), vm, flashFrom(query)));
  });

  app.get('/bulk', async (req, reply) => {
    const refused = reviewerOnly(ctx, req);
    if (refused) return sendHtml(reply, refused, 403);
    const query = req.query as Query;
    const action = query.action === 'reject' ? 'reject' : 'accept';
    const reason = parseRejectReason(query.reject_reason);
    if (action === 'reject' && !reason) return sendHtml(reply, messagePage(pageContext(ctx, req), 'Reason needed', 'A bulk rejection needs a reason code.'), 400);
    const vm = queueModel(ctx, query);
    return sendHtml(reply, bulkConfirmPage(pageContext(ctx, req), {
      action, ...(reason ? { reason } : {}), items: vm.items.slice(0, ctx.config.review.bulkMax), matching: vm.items.length, filterQuery: filterQuery(vm.filter),
    }));
  });

  app.post('/bulk', async (req, reply) => {
    const refused = reviewerOnly(ctx, req);
    if (refused) return sendHtml(reply, refused, 403);
    const body = req.body as FormBody | undefined;
    const action = field(body, 'action');
    const reason = parseRejectReason(field(body, 'reject_reason'));
    if ((action !== 'accept' && action !== 'reject') || (action === 'reject' && !reason)) {
      return sendHtml(reply, messagePage(pageContext(ctx, req), 'Bad request', 'Unknown bulk action, or a rejection without a reason.'), 400);
    }
    const wanted = fields(body, 'item').slice(0, ctx.config.review.bulkMax).map(parseBulkItemValue);
    const items: QueueItem[] = [];
    for (const w of wanted) {
      const q = w && ctx.state.item(w.documentId);
      // Exactly the versions that were confirmed, and only while they are open.
      if (q && w && q.version.partition === w.partition && q.version.offset === w.offset && ctx.state.isOpen(q)) items.push(q);
    }
    const input = action === 'accept' ? { kind: 'accept' as const } : { kind: 'reject' as const, reason: reason! };
    const results = items.length ? await decide(ctx, req.identity!.user, items.map((q) => ({ q, input })), { bulk: true }) : [];
    const written = results.filter((r) => r.status === 'written').length;
    const failed = results.filter((r) => r.status === 'unavailable').length;
    const back = new URLSearchParams(field(body, 'return') ?? '');
    back.set('done', 'bulk');
    back.set('written', String(written));
    back.set('skipped', String(wanted.length - written - failed));
    back.set('failed', String(failed));
    return reply.redirect(href('/', back.toString()), 303);
  });
}
