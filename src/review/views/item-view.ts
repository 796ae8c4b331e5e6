/** One item: the text with its entities, the model's answer and why it is here, and the reviewer's actions. */
import { RejectReason, type ReviewDecision } from '../../contracts/index.ts';
import type { QueueItem } from '../review-state.ts';
import { barChart } from './charts.ts';
import { highlightEntities, ENTITY_KINDS } from './highlight.ts';
import { formatAge, href, html, itemPath, type Html } from './html.ts';
import { layout, type Flash, type PageContext } from './layout.ts';

export interface ItemViewModel {
  q: QueueItem;
  open: boolean;
  decision: ReviewDecision | undefined;
  categories: readonly string[];
  /** The queue filter, carried through the item's links and forms. */
  filterQuery: string;
  previous: QueueItem | undefined;
  next: QueueItem | undefined;
  now: number;
}

const usd = (n: number) => `$${n.toFixed(6)}`;

export function decidedText(d: ReviewDecision): string {
  const what = d.decision === 'rejected' ? `rejected (${d.reject_reason ?? ''})` : d.decision === 'edited' ? `edited and accepted as ${d.category ?? ''}` : 'accepted';
  return `Already decided by ${d.reviewer} at ${d.decided_at}: ${what}.`;
}

function facts(vm: ItemViewModel): Html {
  const it = vm.q.item;
  const c = it.classification;
  const names = [...new Set([...vm.categories, ...Object.keys(c.scores)])];
  const bars = names.map((n) => ({ label: n, value: c.scores[n] ?? 0, display: (c.scores[n] ?? 0).toFixed(2), kind: n === c.category ? 'suggested' : '' }));
  return html`<section aria-labelledby="model-title"><h2 id="model-title">The model's answer</h2>
<p>Suggested category <strong class="cat cat-${c.category}" id="suggested">${c.category}</strong>, confidence <strong>${c.confidence.toFixed(3)}</strong>;
the threshold is <strong>${it.threshold}</strong>${c.confidence < it.threshold ? html` (missed by ${(it.threshold - c.confidence).toFixed(3)})` : ''}.</p>
${barChart(bars, { title: `Scores of every category; ${c.category} suggested`, max: 1, marker: { at: it.threshold, label: `threshold ${it.threshold}` } })}
<h3>Why it is here</h3>
<ul class="why">${it.review_reasons.map((r) => html`<li><span class="badge reason-${r.code}">${r.code}</span> ${r.message}</li>`)}</ul>
</section>
<section aria-labelledby="cost-title"><h2 id="cost-title">Cost and provenance</h2>
<dl class="facts">
<dt>Cost</dt><dd>${usd(it.usage.cost_usd)} for ${it.usage.calls} call${it.usage.calls === 1 ? '' : 's'} (${it.usage.cached_calls} cached)</dd>
<dt>Tokens</dt><dd>${it.usage.input_tokens} in, ${it.usage.output_tokens} out</dd>
<dt>Model</dt><dd>${it.model} (${it.offline ? 'offline provider: no real model was asked' : `${it.provider} provider`})</dd>
<dt>Prompt version</dt><dd>${it.prompt_version}</dd>
<dt>Source</dt><dd>${vm.q.version.topic} partition ${vm.q.version.partition}, offset ${vm.q.version.offset}</dd>
<dt>Run id</dt><dd>${vm.q.runId ?? '–'}</dd>
<dt>Waiting</dt><dd>${formatAge(vm.now - vm.q.timestamp)}</dd>
</dl></section>`;
}

function actions(vm: ItemViewModel, ctx: PageContext): Html {
  if (!vm.open) return html``;
  if (ctx.role !== 'reviewer') return html`<p class="sub" id="read-only">You can look, not decide: your role is ${ctx.role}.</p>`;
  const it = vm.q.item;
  const action = itemPath(vm.q.documentId) + '/decide';
  const common = html`<input type="hidden" name="_csrf" value="${ctx.csrf}"><input type="hidden" name="version" value="${vm.q.version.partition}:${vm.q.version.offset}"><input type="hidden" name="return" value="${vm.filterQuery}">`;
  const categories = vm.categories.map((cat, i) => html`<label class="choice"><input type="radio" name="category" value="${cat}"${cat === it.classification.category ? html` checked` : ''}>${i < 9 ? html`<kbd>${i + 1}</kbd> ` : ''}${cat}</label>`);
  const entityFields = ENTITY_KINDS.map((k) => html`<label>${k} <span class="sub">(one per line)</span><textarea name="${k}" rows="3">${it.entities[k].join('\n')}</textarea></label>`);
  return html`<section class="actions" aria-labelledby="decide-title"><h2 id="decide-title">Decide</h2>
<form method="post" action="${action}" id="accept-form" class="inline">${common}<input type="hidden" name="kind" value="accept"><button type="submit" id="accept" class="primary">Accept <kbd>a</kbd></button></form>
<a class="button" id="skip" href="${vm.next ? href(itemPath(vm.next.documentId), vm.filterQuery) : href('/', vm.filterQuery)}">Skip <kbd>s</kbd></a>
<details id="edit-panel"><summary>Edit &amp; accept <kbd>e</kbd></summary>
<form method="post" action="${action}" id="edit-form">${common}<input type="hidden" name="kind" value="edit">
<fieldset class="categories"><legend>Category</legend>${categories}</fieldset>
<label>Summary <textarea name="summary" rows="4">${it.summary}</textarea></label>
<fieldset class="entities"><legend>Entities</legend>${entityFields}</fieldset>
<button type="submit" id="edit-submit" class="primary">Save &amp; accept</button>
</form></details>
<details id="reject-panel"><summary>Reject <kbd>r</kbd></summary>
<form method="post" action="${action}" id="reject-form">${common}<input type="hidden" name="kind" value="reject">
<fieldset><legend>Reason (required)</legend>${RejectReason.options.map((r) => html`<label class="choice"><input type="radio" name="reject_reason" value="${r}" required> ${r}</label>`)}</fieldset>
<label>Note <span class="sub">(required for OTHER)</span><textarea name="note" rows="2" maxlength="2000"></textarea></label>
<button type="submit" id="reject-submit" class="danger">Reject</button>
</form></details>
</section>`;
}

export function itemPage(ctx: PageContext, vm: ItemViewModel, flash?: Flash, status = 200): { status: number; body: string } {
  const it = vm.q.item;
  const nav = html`<nav class="pager" aria-label="Items">
<a href="${href('/', vm.filterQuery)}" id="to-queue">Queue <kbd>u</kbd></a>
${vm.previous ? html`<a href="${href(itemPath(vm.previous.documentId), vm.filterQuery)}" id="prev" rel="prev">Previous <kbd>k</kbd></a>` : ''}
${vm.next ? html`<a href="${href(itemPath(vm.next.documentId), vm.filterQuery)}" id="next" rel="next">Next <kbd>j</kbd></a>` : ''}
</nav>`;
  const decided = vm.decision && !vm.open ? html`<p class="flash error" id="decided" role="status">${decidedText(vm.decision)}</p>` : '';
  const body = html`${nav}
<h1 id="doc-title">${it.title ?? vm.q.documentId}</h1>
<p class="sub">Document <code id="doc-id">${vm.q.documentId}</code>${it.source ? html` from ${it.source}` : ''}</p>
<div id="item-status" role="status" aria-live="assertive">${decided}</div>
<div class="item-grid">
<div class="text-col">
<section aria-labelledby="text-title"><h2 id="text-title">Text</h2>
<p class="legend">${ENTITY_KINDS.map((k) => html`<mark class="ent ent-${k}">${k}</mark> `)}</p>
<div class="doc-text" id="doc-text">${highlightEntities(it.original_content, it.entities)}</div></section>
<section aria-labelledby="summary-title"><h2 id="summary-title">Summary</h2><p id="summary">${it.summary}</p></section>
<section aria-labelledby="entities-title"><h2 id="entities-title">Entities</h2><dl class="facts" id="entities">${ENTITY_KINDS.map((k) => html`<dt>${k}</dt><dd>${it.entities[k].length ? it.entities[k].map((e) => html`<mark class="ent ent-${k}">${e}</mark> `) : '–'}</dd>`)}</dl></section>
</div>
<div class="side-col">${actions(vm, ctx)}${facts(vm)}</div>
</div>`;
  return {
    status,
    body: layout(ctx, {
      title: it.title ?? vm.q.documentId, page: 'item', active: 'queue', body, ...(flash ? { flash } : {}),
      data: { status: `${itemPath(vm.q.documentId)}/status?version=${vm.q.version.partition}:${vm.q.version.offset}`, next: vm.next ? href(itemPath(vm.next.documentId), vm.filterQuery) : href('/', vm.filterQuery), prev: vm.previous ? href(itemPath(vm.previous.documentId), vm.filterQuery) : '', queue: href('/', vm.filterQuery) },
    }),
  };
}
