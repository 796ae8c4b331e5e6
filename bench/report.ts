/** Writes RESULTS.md and an SVG chart of each scenario's ratio against its target. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ScenarioResult } from './scenarios/types.ts';

export interface RunInfo {
  date: string;
  machine: string;
  node: string;
  kafka: string;
  quick: boolean;
  command: string;
}

export interface StoredResult extends ScenarioResult {
  run: RunInfo;
}

/**
 * Results live in a JSON file next to the report; a run replaces the scenarios it ran and keeps
 * the others, so one scenario can be re-measured alone without losing the rest.
 */
export function mergeResults(jsonPath: string, info: RunInfo, fresh: ScenarioResult[]): StoredResult[] {
  const order = ['saturation', 'overhead', 'latency', 'scaleout', 'replay', 'instant', 'heavy-tail', 'tracing'];
  const old: StoredResult[] = existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as StoredResult[]) : [];
  const byName = new Map(old.map((r) => [r.name, r]));
  for (const r of fresh) byName.set(r.name, { ...r, run: info });
  const merged = [...byName.values()].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  writeFileSync(jsonPath, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}

const met = (r: ScenarioResult) => (r.metric.lowerIsBetter ? r.metric.value <= r.metric.target : r.metric.value >= r.metric.target);
/** A scenario without a target of its own shows its value against a reference, and no verdict. */
const verdict = (r: ScenarioResult) => (r.metric.informational ? '— (no target)' : met(r) ? 'yes' : '**no**');

export function renderMarkdown(info: RunInfo, results: StoredResult[], chartFile: string | undefined): string {
  const lines = [
    `# Benchmark results${info.quick ? ' (quick smoke run: small sizes, numbers not meaningful)' : ''}`,
    '',
    `- machine: ${info.machine}`,
    `- Node ${info.node}, Apache Kafka ${info.kafka} (local single-node KRaft broker), KafkaJS 2.2.4`,
    `- reproduce: \`npm run bench\` (all scenarios) or \`npm run bench -- --scenario <name>\`; each scenario below says when and how it was run`,
    '',
    '| scenario | measure | result | target | met |',
    '|---|---|---|---|---|',
    ...results.map((r) => `| ${r.title} | ${r.metric.label} | ${r.metric.value.toFixed(3)} | ${r.metric.informational ? '—' : `${r.metric.lowerIsBetter ? '≤' : '≥'} ${r.metric.target}`} | ${verdict(r)} |`),
    '',
  ];
  if (chartFile) lines.push(`![ratios against targets](${chartFile})`, '');
  for (const r of results) {
    lines.push(`## ${r.title}`, '', '| | |', '|---|---|', ...r.rows.map(([k, v]) => `| ${k} | ${v} |`), '');
    lines.push(`Parameters: ${Object.entries(r.params).map(([k, v]) => `${k} = ${v}`).join(', ')}.`, '');
    const load = r.load ? `; the machine's 1-minute load average was ${r.load.start.toFixed(2)} at its start and ${r.load.end.toFixed(2)} at its end (2 cores, shared)` : '';
    lines.push(`Run ${r.run.date} with \`${r.run.command}\`${load}.`, '');
  }
  return lines.join('\n');
}

/** One bar per scenario: its value as a share of its target (1.0 = exactly on target). */
export function renderSvg(results: ScenarioResult[]): string {
  const w = 640;
  const rowH = 46;
  const h = 60 + rowH * results.length;
  const x0 = 230;
  const scale = (w - x0 - 40) / 2; // 0 … 2× target
  const bars = results.map((r, i) => {
    const share = r.metric.lowerIsBetter ? r.metric.target / Math.max(r.metric.value, 1e-9) : r.metric.value / r.metric.target;
    const len = Math.min(2, share) * scale;
    const y = 40 + i * rowH;
    const color = r.metric.informational ? '#757575' : met(r) ? '#2e7d32' : '#c62828';
    return `<text x="10" y="${y + 18}" font-size="13">${r.title.replace(/&/g, '&amp;')}</text>` +
      `<rect x="${x0}" y="${y + 4}" width="${len.toFixed(1)}" height="20" fill="${color}"/>` +
      `<text x="${x0 + len + 6}" y="${y + 19}" font-size="12">${r.metric.value.toFixed(3)} (${r.metric.lowerIsBetter ? '≤' : '≥'} ${r.metric.target})</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="10" y="22" font-size="15" font-weight="bold">Each scenario against its target (bar = share of target, capped at 2×)</text>` +
    bars.join('') +
    `<line x1="${x0 + scale}" y1="32" x2="${x0 + scale}" y2="${h - 8}" stroke="#333" stroke-dasharray="4 3"/>` +
    `<text x="${x0 + scale + 4}" y="${h - 10}" font-size="11">target</text></svg>\n`;
}

export function writeReport(mdPath: string, svgPath: string, info: RunInfo, fresh: ScenarioResult[]): void {
  const results = mergeResults(mdPath.replace(/\.md$/, '.json'), info, fresh);
  writeFileSync(svgPath, renderSvg(results));
  writeFileSync(mdPath, renderMarkdown(info, results, svgPath.split('/').pop()));
}
