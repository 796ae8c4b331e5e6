/** Threshold advice: what reviewers did per confidence band, and what a lower threshold would have done. */
import type { Advice } from '../threshold-advice.ts';
import { barChart } from './charts.ts';
import { html, pct } from './html.ts';
import { layout, type PageContext } from './layout.ts';

const band = (l: number, u: number) => `${l.toFixed(1)}–${u.toFixed(1)}`;

export function advicePage(ctx: PageContext, advice: Advice, threshold: number, thresholdSource: string): string {
  const kept = advice.bands.map((b) => ({ label: band(b.lower, b.upper), value: b.decided ? b.kept / b.decided : 0, display: b.decided ? `${pct(b.kept / b.decided)} of ${b.decided}` : 'no decisions', kind: 'kept' }));
  const command = advice.suggestion ? `enricher config set quality_threshold ${advice.suggestion.threshold.toFixed(1)}` : `enricher config set quality_threshold <value>`;
  const body = html`<h1>Threshold advice</h1>
<p>The quality threshold is <strong id="threshold">${threshold}</strong> (${thresholdSource}). Below it, documents wait for a person.
From <strong id="decided-count">${advice.decided}</strong> decision${advice.decided === 1 ? '' : 's'} on ${advice.bands.length} confidence band${advice.bands.length === 1 ? '' : 's'}:</p>
<section aria-labelledby="kept-title"><h2 id="kept-title">How often reviewers kept the model's category</h2>
${barChart(kept, { title: 'Share of decisions that kept the model’s category, per confidence band', max: 1, labelWidth: 70, width: 420 })}
</section>
<section aria-labelledby="lower-title"><h2 id="lower-title">Had the threshold been lower</h2>
<table class="advice" id="advice-table">
<caption class="sr-only">Per band: decisions, and what a threshold at the band's lower edge would have done</caption>
<thead><tr><th scope="col">Confidence band</th><th scope="col">Decided</th><th scope="col">Kept</th><th scope="col">Other category</th><th scope="col">Rejected</th><th scope="col">Threshold at the lower edge would publish</th><th scope="col">…of which reviewers changed</th></tr></thead>
<tbody>${advice.bands.map((b) => html`<tr><th scope="row">${band(b.lower, b.upper)}</th><td>${b.decided}</td><td>${b.kept}</td><td>${b.recategorized}</td><td>${b.rejected}</td><td>${b.wouldPublish}</td><td>${b.wouldPublishChanged}${b.wouldPublish ? html` <span class="sub">(${pct(b.wouldPublishChanged / b.wouldPublish, 1)})</span>` : ''}</td></tr>`)}</tbody>
</table>
<p class="sub">"Would publish" counts the reviewed documents at or above the band's lower edge that were sent to review for low confidence alone; a partial chain or an unknown category goes to review at any threshold. "Changed" means another category or a rejection.</p>
</section>
<section aria-labelledby="act-title"><h2 id="act-title">Acting on it</h2>
${advice.suggestion
    ? html`<p id="suggestion">Reviewers changed ${pct(advice.suggestion.changedShare, 1)} of the ${advice.suggestion.documents} documents a threshold of ${advice.suggestion.threshold.toFixed(1)} would have published: the lowest edge at which they changed at most 5 %.</p>`
    : html`<p id="suggestion">Not enough evidence for a lower threshold yet (at least 20 documents that would be published, of which reviewers changed at most 5 %).</p>`}
<p>The threshold changes at run time, for every processor, with:</p>
<pre class="command"><code id="command">${command}</code></pre>
<p class="sub">The console does not change it for you: the decision is an operator's, and the command leaves a record on pipeline.config.</p>
</section>`;
  return layout(ctx, { title: 'Threshold advice', page: 'advice', active: 'advice', body });
}
