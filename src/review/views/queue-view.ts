/** The queue page: counts, filters, bulk actions and the open items. The live part is also served alone (`?fragment=1`). */
import { ReviewReason, RejectReason } from '../../contracts/index.ts';
import { filterQuery, isFiltered, type QueueFilter, type QueueSummary, SORTS } from '../queue-filter.ts';
import type { QueueItem } from '../review-state.ts';
import { formatAge, href, html, itemPath, type Html } from './html.ts';
import { layout, type Flash, type PageContext } from './layout.ts';

export interface QueueViewModel {
  filter: QueueFilter;
  /** The open items the filter lets through, in order. */
  items: readonly QueueItem[];
  /** Of the whole open queue. */
  summary: QueueSummary;
  choices: { models: string[]; prompts: string[]; runs: string[]; categories: string[] };
  categories: readonly string[];
  now: number;
  bulkMax: number;
  ready: boolean;
}

const REASONS = ReviewReason.shape.code.options;
const SORT_LABELS: Record<(typeof SORTS)[number], string> = {
  oldest: 'Oldest first', newest: 'Newest first', 'confidence-asc': 'Lowest confidence first', 'confidence-desc': 'Highest confidence first',
};
const MAX_ROWS = 500;

const options = (values: readonly string[], selected: string | undefined, any: string) =>
  html`<option value="">${any}</option>${values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${v}</option>`)}`;

function counts(vm: QueueViewModel): Html {
  const s = vm.summary;
  return html`<section class="counts" aria-label="Queue counts">
<p class="big"><strong id="open-count">${s.total}</strong> open${isFiltered(vm.filter) ? html`, <strong id="match-count">${vm.items.length}</strong> match the filter` : ''}</p>
<ul class="reasons">${REASONS.map((r) => html`<li><span class="badge reason-${r}">${r}</span> ${s.byReason.get(r) ?? 0}</li>`)}</ul>
<p>Oldest waiting: <strong id="oldest-age">${formatAge(s.oldestAgeMs)}</strong>${vm.ready ? '' : html` <span class="warn">(still reading the topics)</span>`}</p>
</section>`;
}

function rows(vm: QueueViewModel): Html {
  if (vm.items.length === 0) return html`<p class="empty">No open items${isFiltered(vm.filter) ? ' match this filter' : ''}.</p>`;
  const q = filterQuery(vm.filter);
  const shown = vm.items.slice(0, MAX_ROWS);
  return html`<table class="queue" id="queue-table">
<caption class="sr-only">Open items, ${SORT_LABELS[vm.filter.sort].toLowerCase()}</caption>
<thead><tr><th scope="col">Document</th><th scope="col">Suggested</th><th scope="col">Confidence</th><th scope="col">Reasons</th><th scope="col">Model / prompt</th><th scope="col">Run</th><th scope="col">Age</th></tr></thead>
<tbody>${shown.map((it) => {
    const c = it.item.classification;
    return html`<tr data-id="${it.documentId}" data-href="${href(itemPath(it.documentId), q)}">
<td><a href="${href(itemPath(it.documentId), q)}">${it.item.title ?? it.documentId}</a><div class="sub">${it.documentId}</div></td>
<td><span class="cat cat-${c.category}">${c.category}</span></td>
<td><meter min="0" max="1" value="${c.confidence}" aria-label="confidence">${c.confidence.toFixed(2)}</meter> ${c.confidence.toFixed(2)}</td>
<td>${it.item.review_reasons.map((r) => html`<span class="badge reason-${r.code}" title="${r.message}">${r.code}</span> `)}</td>
<td>${it.item.model}<div class="sub">${it.item.prompt_version}</div></td>
<td>${it.runId ?? '–'}</td>
<td>${formatAge(vm.now - it.timestamp)}</td>
</tr>`;
  })}</tbody></table>${vm.items.length > MAX_ROWS ? html`<p>Showing the first ${MAX_ROWS} of ${vm.items.length}.</p>` : ''}`;
}

/** The part that live updates replace (served alone for them): counts, bulk actions (their count changes too), items. */
export function queueLive(vm: QueueViewModel, ctx: PageContext): Html {
  return html`${counts(vm)}${bulkForms(vm, ctx)}${rows(vm)}`;
}

function filterForm(vm: QueueViewModel): Html {
  const f = vm.filter;
  return html`<form method="get" action="/" class="filters" aria-label="Filter the queue">
<label>Reason <select name="reason">${options(REASONS, f.reason, 'any')}</select></label>
<label>Suggested category <select name="category">${options([...new Set([...vm.categories, ...vm.choices.categories])], f.category, 'any')}</select></label>
<label>Confidence from <input type="number" name="min" min="0" max="1" step="0.01" value="${f.minConfidence ?? ''}" inputmode="decimal"></label>
<label>to <input type="number" name="max" min="0" max="1" step="0.01" value="${f.maxConfidence ?? ''}" inputmode="decimal"></label>
<label>Model <select name="model">${options(vm.choices.models, f.model, 'any')}</select></label>
<label>Prompt version <select name="prompt">${options(vm.choices.prompts, f.prompt, 'any')}</select></label>
<label>Run id <select name="run">${options(vm.choices.runs, f.run, 'any')}</select></label>
<label>Sort <select name="sort">${SORTS.map((s) => html`<option value="${s}"${s === f.sort ? html` selected` : ''}>${SORT_LABELS[s]}</option>`)}</select></label>
<button type="submit">Apply</button> <a href="/">Clear</a>
</form>`;
}

function bulkForms(vm: QueueViewModel, ctx: PageContext): Html {
  if (ctx.role !== 'reviewer' || vm.items.length === 0) return html``;
  const hidden = [...new URLSearchParams(filterQuery(vm.filter))].map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  return html`<section class="bulk" aria-labelledby="bulk-title"><h2 id="bulk-title">Bulk, on the current filter (${Math.min(vm.items.length, vm.bulkMax)} item${vm.items.length === 1 ? '' : 's'})</h2>
<form method="get" action="/bulk" class="inline">${hidden}<input type="hidden" name="action" value="accept"><button type="submit" id="bulk-accept">Accept all…</button></form>
<form method="get" action="/bulk" class="inline">${hidden}<input type="hidden" name="action" value="reject">
<label>Reason <select name="reject_reason" required>${RejectReason.options.filter((r) => r !== 'OTHER').map((r) => html`<option value="${r}">${r}</option>`)}</select></label>
<button type="submit" id="bulk-reject">Reject all…</button></form>
<p class="sub">You confirm on the next page, which names the count.</p></section>`;
}

export function queuePage(ctx: PageContext, vm: QueueViewModel, flash?: Flash): string {
  const body = html`<h1>Review queue</h1>
${filterForm(vm)}
<p id="live-status" class="sr-only" role="status"></p>
<div id="queue-live">${queueLive(vm, ctx)}</div>`;
  return layout(ctx, { title: 'Queue', page: 'queue', active: 'queue', body, ...(flash ? { flash } : {}), data: { fragment: `/?${filterQuery(vm.filter)}${filterQuery(vm.filter) ? '&' : ''}fragment=1` } });
}
