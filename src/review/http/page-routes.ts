/** Threshold advice, the overview, the candidates, live updates (server-sent events), the static assets and a health check. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { candidateStats } from '../candidates/candidate-stats.ts';
import { thresholdAdvice } from '../threshold-advice.ts';
import { candidatesPage } from '../views/candidates-view.ts';
import { advicePage } from '../views/advice-view.ts';
import { overviewLive, overviewPage } from '../views/overview-view.ts';
import { pageContext, sendHtml, type ConsoleContext } from './context.ts';

const ASSETS: Record<string, string> = { 'console.js': 'text/javascript; charset=utf-8', 'console.css': 'text/css; charset=utf-8' };

function loadAssets(): Map<string, { body: Buffer; type: string; etag: string }> {
  return new Map(Object.entries(ASSETS).map(([name, type]) => {
    const body = readFileSync(new URL(`../assets/${name}`, import.meta.url));
    return [name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` }];
  }));
}

export function registerPageRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const assets = loadAssets();
  const sse = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const end of sse) end();
  });

  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get('/healthz', async (_req, reply) => reply.code(ctx.ready() ? 200 : 503).send(ctx.ready() ? 'ready' : 'reading the topics'));

  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const a = assets.get(req.params.file);
    if (!a) return reply.code(404).send('not found');
    reply.header('cache-control', 'no-cache').header('etag', a.etag);
    if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
    return reply.type(a.type).send(a.body);
  });

  app.get('/advice', async (req, reply) => {
    const threshold = ctx.settings.qualityThreshold();
    return sendHtml(reply, advicePage(pageContext(ctx, req), thresholdAdvice(ctx.state.decisions(), threshold), threshold, `${ctx.config.topics.config}, else QUALITY_THRESHOLD`));
  });

  // Read-only, so viewers see it too.
  app.get('/candidates', async (req, reply) => {
    const stats = candidateStats(ctx.shadow.comparisons(), (id) => ctx.state.decision(id));
    return sendHtml(reply, candidatesPage(pageContext(ctx, req), {
      stats, topic: ctx.config.topics.shadow, inReview: (id) => ctx.state.item(id) !== undefined, unreadable: ctx.shadow.unreadable(), dropped: ctx.shadow.dropped(),
    }));
  });

  app.get('/overview', async (req, reply) => {
    const snapshot = await ctx.overview.snapshot();
    const extra = { open: ctx.state.openItems().length, unreadable: ctx.unreadable() };
    if ((req.query as Record<string, string | undefined>).fragment) return sendHtml(reply, overviewLive(snapshot, extra).value);
    return sendHtml(reply, overviewPage(pageContext(ctx, req), snapshot, extra));
  });

  // One event per burst of changes (new items, anyone's decisions); the page then fetches what it shows.
  app.get('/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 3000\nevent: hello\ndata: ${ctx.state.version()}\n\n`);
    let timer: NodeJS.Timeout | undefined;
    const unsubscribe = ctx.state.onChange(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        res.write(`event: change\ndata: ${ctx.state.version()}\n\n`);
      }, 250);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 20_000);
    const end = () => {
      unsubscribe();
      clearInterval(ping);
      clearTimeout(timer);
      sse.delete(end);
      res.end();
    };
    sse.add(end);
    req.raw.on('close', end);
  });
}
