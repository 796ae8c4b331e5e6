/** The Candidates page: each shadow candidate beside the primary, and both against the reviewers. */
import { candidateSentence, type CandidateStats } from '../candidates/candidate-stats.ts';
import { html, itemPath, pct, type Html } from './html.ts';
import { layout, type PageContext } from './layout.ts';

export interface CandidatesPageData {
  stats: CandidateStats[];
  /** The topic read (documents.shadow by default). */
  topic: string;
  /** Whether a document has a review item in the console (its item page exists). */
  inReview: (documentId: string) => boolean;
  unreadable: number;
  dropped: number;
}

const usd = (n: number | null) => (n === null ? '–' : `$${n >= 100 ? n.toFixed(2) : n.toFixed(4)}`);
const share = (n: number | null, of?: string) => (n === null ? html`<span class="sub">–</span>` : html`${pct(n)}${of ? html` <span class="sub">(${of})</span>` : ''}`);
const conf = (c: number | null) => (c === null ? 'none' : c.toFixed(2));

function documentRef(id: string, inReview: boolean): Html {
  return inReview ? html`<a href="${itemPath(id)}">${id}</a>` : html`<code>${id}</code>`;
}

function candidateSection(s: CandidateStats, i: number, d: CandidatesPageData): Html {
  const h = `candidate-${i}`;
  const more = s.disagreements - s.disagreementList.length;
  return html`<section class="card wide candidate" aria-labelledby="${h}-title" data-candidate="${s.candidate}">
<h2 id="${h}-title">${s.candidate}</h2>
<p class="big sentence">${candidateSentence(s)}</p>
<table class="compact side-by-side">
<caption>Side by side, on ${s.compared} compared document${s.compared === 1 ? '' : 's'}${s.failed ? html` (the candidate's chain failed on ${s.failed} more)` : ''}</caption>
<thead><tr><th scope="col"></th><th scope="col">Primary</th><th scope="col">${s.candidate}</th></tr></thead>
<tbody>
<tr class="agreement"><th scope="row">Same category as the primary</th><td>–</td><td>${share(s.agreement, `${s.agreed} of ${s.compared}`)}</td></tr>
<tr class="accuracy"><th scope="row">Right against reviewers</th><td>${share(s.primary.accuracy, `${s.primary.correct} of ${s.primary.judged}`)}</td><td>${share(s.candidateSide.accuracy, `${s.candidateSide.correct} of ${s.candidateSide.judged}`)}</td></tr>
<tr class="cost"><th scope="row">Cost per 1,000 documents</th><td>${usd(s.cost.primaryPer1k)}</td><td>${usd(s.cost.candidatePer1k)}${s.cost.share === null ? '' : html` <span class="sub">(${pct(s.cost.share)} of the primary's)</span>`}</td></tr>
</tbody></table>
<p class="sub">Accuracy is on the ${s.reviewed} compared document${s.reviewed === 1 ? '' : 's'} a reviewer decided: accepted means the primary's original category was right, edited means the reviewer's category is; rejected documents are left out.</p>
<h3>Agreement by category</h3>
<table class="compact by-category">
<caption class="sr-only">Per primary category: documents compared and how often the candidate named the same category</caption>
<thead><tr><th scope="col">Primary's category</th><th scope="col">Compared</th><th scope="col">Candidate agreed</th><th scope="col">Share</th></tr></thead>
<tbody>${s.byCategory.map((c) => html`<tr><th scope="row">${c.category}</th><td>${c.compared}</td><td>${c.agreed}</td><td>${pct(c.share)}</td></tr>`)}</tbody>
</table>
<h3>Where the two disagree (${s.disagreements})</h3>
${s.disagreements === 0
    ? html`<p class="none">They name the same category on every compared document.</p>`
    : html`<table class="compact disagreements">
<caption class="sr-only">Documents where the candidate named another category, newest first</caption>
<thead><tr><th scope="col">Document</th><th scope="col">Primary (confidence)</th><th scope="col">Candidate (confidence)</th><th scope="col">Reviewer</th><th scope="col">Gate would route it</th></tr></thead>
<tbody>${s.disagreementList.map((x) => html`<tr><td>${documentRef(x.documentId, d.inReview(x.documentId))}</td><td>${x.primary.category} (${conf(x.primary.confidence)})</td><td>${x.candidate.category} (${conf(x.candidate.confidence)})</td><td>${x.reviewer ?? html`<span class="sub">–</span>`}</td><td>${x.routeDiffers ? 'the other way' : 'the same way'}</td></tr>`)}</tbody>
</table>${more > 0 ? html`<p class="sub">…and ${more} older.</p>` : ''}`}
</section>`;
}

export function candidatesPage(ctx: PageContext, d: CandidatesPageData): string {
  const notes = [
    d.unreadable ? html`<p class="warn">${d.unreadable} unreadable record(s) on ${d.topic} skipped (see the console's log)</p>` : '',
    d.dropped ? html`<p class="sub">Only the most recent comparisons are kept in memory: ${d.dropped} older one(s) left out.</p>` : '',
  ];
  const body = html`<h1>Candidates</h1>
<p>Shadow candidates beside the primary, from <code>${d.topic}</code> (the latest comparison per document and candidate), and both against the reviewers' decisions. Links open a document's review item when it was sent to review.</p>
${notes}
${d.stats.length === 0
    ? html`<p id="no-candidates">No shadow comparisons on <code>${d.topic}</code> yet. A processor started with <code>SHADOW_MODEL</code> (or <code>SHADOW_PROMPTS_DIR</code>) writes them.</p>`
    : html`<div class="cards">${d.stats.map((s, i) => candidateSection(s, i, d))}</div>`}`;
  return layout(ctx, { title: 'Candidates', page: 'candidates', active: 'candidates', body });
}
