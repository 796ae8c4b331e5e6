/** The pipeline overview: lag, throughput by route, spend against the budget, the DLQ by error code. */
import type { OverviewSnapshot } from '../overview/overview-sources.ts';
import { ROUTES } from '../overview/route-rates.ts';
import { barChart, gauge, stackedColumns } from './charts.ts';
import { html, pct, type Html } from './html.ts';
import { layout, type PageContext } from './layout.ts';

const usd = (n: number) => `$${n >= 100 ? n.toFixed(2) : n.toFixed(4)}`;

export function overviewLive(s: OverviewSnapshot, extra: { open: number; unreadable: number }): Html {
  const lag = 'error' in s.lag
    ? html`<p class="warn">Lag unavailable: ${s.lag.error}</p>`
    : s.lag.length === 0
      ? html`<p>No partitions.</p>`
      : html`${barChart(s.lag.map((l) => ({ label: `partition ${l.partition}`, value: l.lag, display: String(l.lag), kind: 'lag' })), { title: `Consumer lag of group ${s.group}`, labelWidth: 90 })}
<table class="compact" id="lag-table"><caption class="sr-only">Lag per partition</caption><thead><tr><th scope="col">Partition</th><th scope="col">Committed</th><th scope="col">End</th><th scope="col">Lag</th></tr></thead>
<tbody>${s.lag.map((l) => html`<tr><td>${l.partition}</td><td>${l.committed ?? 'none'}</td><td>${l.high}</td><td>${l.lag}</td></tr>`)}</tbody></table>`;
  const share = s.budgetUsd ? s.spendUsd / s.budgetUsd : undefined;
  return html`<div class="cards">
<section class="card" aria-labelledby="lag-title"><h2 id="lag-title">Consumer lag on documents.raw</h2><p class="sub">group ${s.group}</p>${lag}</section>
<section class="card" aria-labelledby="spend-title"><h2 id="spend-title">Today's spend (${s.day}, UTC)</h2>
<p class="big"><strong id="spend">${usd(s.spendUsd)}</strong> ${s.budgetUsd ? html`of <strong id="budget">${usd(s.budgetUsd)}</strong> (${pct(share ?? 0, 1)})` : html`<span id="budget">no daily budget set</span>`}</p>
${gauge(s.spendUsd, s.budgetUsd, { title: 'Spend against the daily budget', display: s.budgetUsd ? `${usd(s.spendUsd)} of ${usd(s.budgetUsd)}` : usd(s.spendUsd) })}</section>
<section class="card wide" aria-labelledby="rate-title"><h2 id="rate-title">Documents per minute by route (last 30 min, UTC)</h2>
<p class="legend">${ROUTES.map((r) => html`<span class="key series-${r}"></span> ${r} <strong>${s.perMinute[r].toFixed(1)}</strong>/min (last 5 min) `)}</p>
${stackedColumns(s.rates, ROUTES, { title: 'Documents per minute, stacked by route' })}</section>
<section class="card" aria-labelledby="dlq-title"><h2 id="dlq-title">DLQ by error code</h2>
${s.dlqByCode.length ? barChart(s.dlqByCode.map((d) => ({ label: d.code, value: d.count, display: String(d.count), kind: 'dlq' })), { title: 'Records on the DLQ by error code', labelWidth: 150, width: 400 }) : html`<p id="dlq-empty">The DLQ is empty.</p>`}</section>
<section class="card" aria-labelledby="queue-title"><h2 id="queue-title">Review queue</h2><p class="big"><strong>${extra.open}</strong> open</p>${extra.unreadable ? html`<p class="warn">${extra.unreadable} unreadable review record(s) skipped (see the console's log)</p>` : ''}</section>
</div>`;
}

export function overviewPage(ctx: PageContext, s: OverviewSnapshot, extra: { open: number; unreadable: number }): string {
  const body = html`<h1>Pipeline overview</h1><div id="overview-live" aria-live="off">${overviewLive(s, extra)}</div>`;
  return layout(ctx, { title: 'Overview', page: 'overview', active: 'overview', body, data: { fragment: '/overview?fragment=1' } });
}
