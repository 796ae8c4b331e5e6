/**
 * The confirmation of a bulk action. It names the count and lists the items; the form carries
 * exactly these items (each with its version), so what is confirmed is what gets decided, even
 * if the queue changes meanwhile.
 */
import type { RejectReason } from '../../contracts/index.ts';
import type { QueueItem } from '../review-state.ts';
import { href, html } from './html.ts';
import { layout, type PageContext } from './layout.ts';

export function bulkItemValue(q: QueueItem): string {
  return `${q.version.partition}:${q.version.offset}:${q.documentId}`;
}

export function parseBulkItemValue(v: string): { partition: number; offset: string; documentId: string } | undefined {
  const m = /^(\d+):(\d+):(.+)$/s.exec(v);
  return m ? { partition: Number(m[1]), offset: m[2]!, documentId: m[3]! } : undefined;
}

export function bulkConfirmPage(ctx: PageContext, opts: { action: 'accept' | 'reject'; reason?: RejectReason; items: readonly QueueItem[]; matching: number; filterQuery: string }): string {
  const n = opts.items.length;
  const verb = opts.action === 'accept' ? 'Accept' : 'Reject';
  const what = `${verb} ${n} document${n === 1 ? '' : 's'}${opts.action === 'reject' ? ` as ${opts.reason}` : ''}?`;
  const body = html`<h1 id="bulk-question">${what}</h1>
${opts.matching > n ? html`<p class="warn">${opts.matching} items match the filter; one bulk action takes at most ${n}.</p>` : ''}
<p>${opts.action === 'accept' ? 'Each is published to documents.enriched with the model’s category.' : 'Each is published to documents.rejected with this reason.'} Items another reviewer decides meanwhile are left alone.</p>
<form method="post" action="/bulk" id="bulk-form">
<input type="hidden" name="_csrf" value="${ctx.csrf}"><input type="hidden" name="action" value="${opts.action}">
${opts.reason ? html`<input type="hidden" name="reject_reason" value="${opts.reason}">` : ''}
<input type="hidden" name="return" value="${opts.filterQuery}">
${opts.items.map((q) => html`<input type="hidden" name="item" value="${bulkItemValue(q)}">`)}
<button type="submit" id="bulk-confirm" class="${opts.action === 'accept' ? 'primary' : 'danger'}">${verb} ${n}</button> <a href="${href('/', opts.filterQuery)}">Cancel</a>
</form>
<details><summary>The ${n} items</summary><ol class="bulk-list">${opts.items.map((q) => html`<li>${q.item.title ?? q.documentId} <span class="sub">${q.documentId} · ${q.item.classification.category} ${q.item.classification.confidence.toFixed(2)}</span></li>`)}</ol></details>`;
  return layout(ctx, { title: `${verb} ${n}`, page: 'bulk', active: 'queue', body });
}
