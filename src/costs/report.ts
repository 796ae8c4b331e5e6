/**
 * The cost table of `enricher costs` (and of the demo): a day's DailyCost records grouped by
 * model, step or run, summed in pico-dollars, with each row's share of the daily budget.
 */
import { DailyCost, type CostTotals } from '../contracts/index.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { decodeJson } from '../kafka/serde.ts';
import type { Logger } from '../observability/logger.ts';
import { readTopicOnce } from '../kafka/topic-reader.ts';
import type { Bucket } from './daily-totals.ts';
import { picoToUsd, type Pico } from './money.ts';

/** purpose: the primary's calls against a shadow candidate's (SHADOW_MODEL). */
export const REPORT_BY = ['model', 'step', 'run', 'tier', 'purpose'] as const;
export type ReportBy = (typeof REPORT_BY)[number];

/** One row of the report: a bucket of the day's totals under its name (model, step, run or tier). */
export interface CostRow extends Bucket {
  name: string;
}

type Totals = Pick<CostTotals, 'calls' | 'input_tokens' | 'cached_input_tokens' | 'output_tokens' | 'reasoning_tokens' | 'cost_pico_usd' | 'cache_saving_pico_usd'>;

const emptyRow = (name: string): CostRow => ({ name, calls: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0, pico: 0n, savedPico: 0n });

const fromTotals = (name: string, t: Totals): CostRow => ({
  name, calls: t.calls, inputTokens: t.input_tokens, cachedInputTokens: t.cached_input_tokens ?? 0, outputTokens: t.output_tokens,
  reasoningTokens: t.reasoning_tokens ?? 0, pico: BigInt(t.cost_pico_usd), savedPico: BigInt(t.cache_saving_pico_usd ?? '0'),
});

function mergeRow(into: CostRow, r: CostRow, sign: 1 | -1 = 1): void {
  into.calls += sign * r.calls;
  into.inputTokens += sign * r.inputTokens;
  into.cachedInputTokens += sign * r.cachedInputTokens;
  into.outputTokens += sign * r.outputTokens;
  into.reasoningTokens += sign * r.reasoningTokens;
  into.pico += BigInt(sign) * r.pico;
  into.savedPico += BigInt(sign) * r.savedPico;
}

/** Calls a breakdown does not list: no run id, or a record written before tiers were kept. */
const UNLISTED: Record<Exclude<ReportBy, 'model'>, string> = { step: '(no step)', run: '(no run id)', tier: '(tier not recorded)', purpose: 'primary' };

/** Rows for one day, most expensive first, and their total. */
export function costRows(records: readonly DailyCost[], day: string, by: ReportBy): { rows: CostRow[]; total: CostRow } {
  const rows = new Map<string, CostRow>();
  const total = emptyRow('total');
  const rowOf = (name: string) => {
    let r = rows.get(name);
    if (!r) rows.set(name, (r = emptyRow(name)));
    return r;
  };
  for (const d of records) {
    if (d.day !== day) continue;
    const all = fromTotals(d.model, d);
    mergeRow(total, all);
    if (by === 'model') {
      mergeRow(rowOf(d.model), all);
      continue;
    }
    const parts = (by === 'step' ? d.by_step : by === 'run' ? d.by_run : by === 'tier' ? d.by_tier : d.shadow ? { shadow: d.shadow } : {}) ?? {};
    const rest = { ...all, name: UNLISTED[by] };
    for (const [name, t] of Object.entries(parts)) {
      const part = fromTotals(name, t);
      mergeRow(rowOf(name), part);
      mergeRow(rest, part, -1);
    }
    // Shown rather than lost from the table.
    if (rest.calls > 0) mergeRow(rowOf(rest.name), rest);
  }
  const sorted = [...rows.values()].sort((a, b) => (b.pico > a.pico ? 1 : b.pico < a.pico ? -1 : a.name.localeCompare(b.name)));
  return { rows: sorted, total };
}

const usd = (p: Pico) => {
  const v = picoToUsd(p);
  return `$${v >= 100 ? v.toFixed(2) : v.toFixed(6)}`;
};
const share = (p: Pico, budgetUsd: number | null) => (budgetUsd ? `${((picoToUsd(p) / budgetUsd) * 100).toFixed(2)} %` : '-');
const percent = (part: number, whole: number) => (whole > 0 ? `${((part / whole) * 100).toFixed(1)} %` : '0.0 %');

export function formatCostTable(args: { day: string; by: ReportBy; records: readonly DailyCost[]; budgetUsd: number | null; budgetSource: string }): string {
  const { rows, total } = costRows(args.records, args.day, args.by);
  const budget = args.budgetUsd ? `daily budget $${args.budgetUsd} (${args.budgetSource})` : 'no daily budget set';
  const lines = [`LLM costs for ${args.day} (UTC) by ${args.by}; ${budget}`];
  if (total.calls === 0) return `${lines[0]}\n  no calls recorded in llm.costs.daily for this day\n`;
  // Reasoning tokens are inside the output count; the column appears only on days that had some.
  const reasoning = total.reasoningTokens > 0;
  const header = [args.by, 'calls', 'input tok', 'cached', 'output tok', ...(reasoning ? ['reasoning'] : []), 'cost USD', 'of budget'];
  const body = [...rows, total].map((r) => [
    r.name, String(r.calls), String(r.inputTokens), String(r.cachedInputTokens), String(r.outputTokens),
    ...(reasoning ? [String(r.reasoningTokens)] : []), usd(r.pico), share(r.pico, args.budgetUsd),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  lines.push(fmt(header));
  for (const [i, b] of body.entries()) {
    if (i === body.length - 1) lines.push(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
    lines.push(fmt(b));
  }
  const shadow = costRows(args.records, args.day, 'purpose').rows.find((r) => r.name === 'shadow');
  if (shadow && args.by !== 'purpose') lines.push(`  of which shadow candidates: ${usd(shadow.pico)} in ${shadow.calls} calls (${share(shadow.pico, args.budgetUsd)} of the budget; --by purpose shows it apart)`);
  lines.push(
    `  prompt caching saved ${usd(total.savedPico)} this day: ${total.cachedInputTokens} of ${total.inputTokens} input tokens ` +
      `(${percent(total.cachedInputTokens, total.inputTokens)}) were read from the provider's cache at the cached price`,
  );
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
