/**
 * The cost table of `enricher costs` (and of the demo): a day's DailyCost records grouped by
 * model, step or run, summed in pico-dollars, with each row's share of the daily budget.
 */
import { DailyCost } from '../contracts/index.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { decodeJson } from '../kafka/serde.ts';
import type { Logger } from '../observability/logger.ts';
import { readTopicOnce } from '../kafka/topic-reader.ts';
import { picoToUsd, type Pico } from './money.ts';

export const REPORT_BY = ['model', 'step', 'run'] as const;
export type ReportBy = (typeof REPORT_BY)[number];

export interface CostRow {
  name: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  pico: Pico;
}

/** Rows for one day, most expensive first, and their total. */
export function costRows(records: readonly DailyCost[], day: string, by: ReportBy): { rows: CostRow[]; total: CostRow } {
  const rows = new Map<string, CostRow>();
  const total: CostRow = { name: 'total', calls: 0, inputTokens: 0, outputTokens: 0, pico: 0n };
  const add = (name: string, t: { calls: number; input_tokens: number; output_tokens: number; cost_pico_usd: string }) => {
    let r = rows.get(name);
    if (!r) rows.set(name, (r = { name, calls: 0, inputTokens: 0, outputTokens: 0, pico: 0n }));
    r.calls += t.calls;
    r.inputTokens += t.input_tokens;
    r.outputTokens += t.output_tokens;
    r.pico += BigInt(t.cost_pico_usd);
  };
  for (const d of records) {
    if (d.day !== day) continue;
    total.calls += d.calls;
    total.inputTokens += d.input_tokens;
    total.outputTokens += d.output_tokens;
    total.pico += BigInt(d.cost_pico_usd);
    if (by === 'model') add(d.model, d);
    else {
      const parts = by === 'step' ? d.by_step : d.by_run;
      let inRuns = 0;
      for (const [name, t] of Object.entries(parts)) {
        add(name, t);
        inRuns += t.calls;
      }
      // Calls without a run id are not in by_run; show them rather than lose them from the table.
      if (by === 'run' && inRuns < d.calls) {
        let pico = BigInt(d.cost_pico_usd);
        let input = d.input_tokens;
        let output = d.output_tokens;
        for (const t of Object.values(parts)) {
          pico -= BigInt(t.cost_pico_usd);
          input -= t.input_tokens;
          output -= t.output_tokens;
        }
        add('(no run id)', { calls: d.calls - inRuns, input_tokens: input, output_tokens: output, cost_pico_usd: pico.toString() });
      }
    }
  }
  const sorted = [...rows.values()].sort((a, b) => (b.pico > a.pico ? 1 : b.pico < a.pico ? -1 : a.name.localeCompare(b.name)));
  return { rows: sorted, total };
}

const usd = (p: Pico) => {
  const v = picoToUsd(p);
  return `$${v >= 100 ? v.toFixed(2) : v.toFixed(6)}`;
};
const share = (p: Pico, budgetUsd: number | null) => (budgetUsd ? `${((picoToUsd(p) / budgetUsd) * 100).toFixed(2)} %` : '-');

export function formatCostTable(args: { day: string; by: ReportBy; records: readonly DailyCost[]; budgetUsd: number | null; budgetSource: string }): string {
  const { rows, total } = costRows(args.records, args.day, args.by);
  const budget = args.budgetUsd ? `daily budget $${args.budgetUsd} (${args.budgetSource})` : 'no daily budget set';
  const lines = [`LLM costs for ${args.day} (UTC) by ${args.by}; ${budget}`];
  if (total.calls === 0) return `${lines[0]}\n  no calls recorded in llm.costs.daily for this day\n`;
  const header = [args.by, 'calls', 'input tok', 'output tok', 'cost USD', 'of budget'];
  const body = [...rows, total].map((r) => [r.name, String(r.calls), String(r.inputTokens), String(r.outputTokens), usd(r.pico), share(r.pico, args.budgetUsd)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  lines.push(fmt(header));
  for (const [i, b] of body.entries()) {
    if (i === body.length - 1) lines.push(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
    lines.push(fmt(b));
  }
  return `${lines.join('\n')}\n`;
}

/** Every DailyCost record on llm.costs.daily now (the latest per key). */
export async function loadDailyCosts(kafka: KafkaClient, topic: string, groupBase: string, logger: Logger): Promise<DailyCost[]> {
  const byKey = new Map<string, DailyCost>();
  await readTopicOnce({
    kafka, topic, groupBase, logger,
    onRecord: (r) => {
      if (r.key === null) return;
      if (r.value === null) {
        byKey.delete(r.key);
        return;
      }
      try {
        byKey.set(r.key, decodeJson(r.value, DailyCost, 'decode', 'daily cost record'));
      } catch (e) {
        logger.warn({ topic, key: r.key, err: (e as Error).message }, 'skipping an unreadable daily cost record');
      }
    },
  });
  return [...byKey.values()];
}
