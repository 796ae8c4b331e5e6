/** `enricher eval`'s output: a plain, aligned table for people, and the whole report as JSON. */
import type { SideMetrics } from './eval-metrics.ts';
import type { EvalReport } from './run-eval.ts';

const pct = (share: number | null) => (share === null ? '—' : `${(share * 100).toFixed(1)} %`);
const ratio = (n: number, of: number, share: number | null) => `${n}/${of}  ${pct(share)}`;
const usd = (n: number | null) => (n === null ? '—' : `$${n.toFixed(6)}`);

function column(m: SideMetrics): string[] {
  return [
    ratio(m.correct, m.judged, m.accuracy),
    String(m.published),
    ratio(m.publishedRight, m.published, m.precision),
    usd(m.costUsd),
    usd(m.costPer1k),
  ];
}

/** Rows of cells, each column padded to its widest cell. */
export function alignRows(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ').trimEnd()).join('\n');
}

export function formatEvalTable(r: EvalReport): string {
  const { accepted, edited, rejected } = r.decisions;
  const head = `${r.documents} reviewed document(s): ${accepted} accepted, ${edited} edited, ${rejected} rejected; threshold ${r.threshold.value} (${r.threshold.source})`;
  const p = column(r.primary.metrics);
  const c = column(r.candidate.metrics);
  const labels = ['category matches reviewer', 'would publish', 'precision of what it publishes', 'cost', 'cost per 1,000 documents'];
  const rows = [
    ['', 'primary (current)', 'candidate'],
    ['model', r.primary.models.join(', ') || '—', r.candidate.models.join(', ')],
    ['prompt version', r.primary.promptVersions.join(', ') || '—', r.candidate.promptVersion],
    ...labels.map((l, i) => [l, p[i]!, c[i]!]),
  ];
  const notes = [
    `the two name the same category on ${r.agreement.same} of ${r.agreement.of} (${pct(r.agreement.share)}).`,
    'accuracy leaves rejections out; a rejected document a side would publish counts as wrong in its precision.',
  ];
  if (r.candidate.failed) notes.push(`the candidate's chain failed on ${r.candidate.failed} document(s): no category, not published, its billed calls counted.`);
  if (r.withoutOriginal) notes.push(`${r.withoutOriginal} decision(s) left out: their review record is no longer on the review topic, or unreadable.`);
  return `${head}\n\n${alignRows(rows)}\n\n${notes.join('\n')}\n`;
}

export function evalJson(r: EvalReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
