/**
 * Every query of the Grafana dashboard (deploy/grafana/llm-enricher.json) and of the alert rules
 * (deploy/prometheus/alerts.yml) names only series a processor exports: the metric names of
 * each expression are read out and looked up in the registry createMetrics() builds. A renamed
 * metric, or a query naming one that never existed, fails here instead of drawing an empty panel
 * or an alert that can never fire. The dashboard's queries are also parsed by promtool (with
 * Grafana's variables filled in), so a query Prometheus would refuse fails too.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.ts';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** Words of PromQL that are not metric names (keywords, and what stands before a parenthesis is a function). */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);

/** The metric names an expression selects (functions, label names, keywords and numbers left out). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values, printf formats)
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries: [5m], [$__rate_interval], [5m:30s]
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // with their label lists: `sum by (le) (x)` is then a call of sum
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w:$.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, word, call] = m;
    if (call || KEYWORDS.has(word!.toLowerCase())) continue;
    names.add(word!);
  }
  return [...names];
}

/** Every `expr` of the dashboard, and the metric of each templating query (label_values(metric, label)). */
function dashboardQueries(): string[] {
  const dash = JSON.parse(read('deploy/grafana/llm-enricher.json')) as { panels: unknown[]; templating: { list: { query?: unknown }[] } };
  const exprs: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'expr' && typeof x === 'string') exprs.push(x);
        else walk(x);
      }
    }
  };
  walk(dash.panels);
  for (const t of dash.templating.list) {
    const q = typeof t.query === 'object' && t.query ? (t.query as { query?: string }).query : undefined;
    const m = q?.match(/^label_values\((.*),\s*\w+\)$/);
    if (m) exprs.push(m[1]!);
  }
  return exprs;
}

/**
 * The `expr` of every rule of alerts.yml: inline (`expr: ...`) or a block (`expr: |` and the
 * lines indented under it). The file is ours and keeps to these two forms; the count is checked
 * against its `- alert:` entries so that a third form cannot slip past.
 */
function alertQueries(): string[] {
  const lines = read('deploy/prometheus/alerts.yml').split('\n');
  const exprs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i]!.match(/^(\s*)expr:\s*(.*)$/);
    if (!m) continue;
    if (m[2] !== '|') {
      exprs.push(m[2]!);
      continue;
    }
    const block: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1]!.trim() === '' || lines[i + 1]!.search(/\S/) > m[1]!.length)) block.push(lines[++i]!);
    exprs.push(block.join('\n'));
  }
  expect(exprs).toHaveLength(lines.filter((l) => /^\s*- alert:/.test(l)).length);
  return exprs;
}

/** The series names a processor exports: each metric, and a histogram's _bucket, _sum and _count. */
async function exported(): Promise<Set<string>> {
  const metrics = createMetrics();
  // Absent until first set (a processor without Redis has none); it is exported once Redis answers.
  metrics.redisAvailable.set(1);
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

const unknown = (exprs: string[], names: Set<string>) =>
  exprs.flatMap((e) => metricNames(e).filter((n) => !names.has(n)).map((n) => `${n} in: ${e}`));

describe('the dashboard and the alert rules query only series the processor exports', () => {
  it('reads metric names out of PromQL (and would catch a name that does not exist)', async () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, step) (rate(gen_ai_client_operation_duration_seconds_bucket{job=~"$job",step!="x"}[$__rate_interval])))'))
      .toEqual(['gen_ai_client_operation_duration_seconds_bucket']);
    expect(metricNames('sum(a_total) / (sum(rate(b_total[10m])) + (sum by (job) (c) or vector(0))) > 0.05 and on (job) d unless ignoring (le) e offset 5m'))
      .toEqual(['a_total', 'b_total', 'c', 'd', 'e']);
    expect(metricNames('deriv(sum by (job, topic) (enricher_consumer_lag)[5m:30s]) * 60 > 0')).toEqual(['enricher_consumer_lag']);
    expect(unknown(['rate(enricher_documents_totl[5m])', 'enricher_consumer_lag_bucket'], await exported()))
      .toEqual(['enricher_documents_totl in: rate(enricher_documents_totl[5m])', 'enricher_consumer_lag_bucket in: enricher_consumer_lag_bucket']);
  });

  it('every metric of every dashboard query exists', async () => {
    const exprs = dashboardQueries();
    expect(exprs.length).toBeGreaterThanOrEqual(20);
    expect(unknown(exprs, await exported())).toEqual([]);
  });

  it('every metric of every alert rule exists', async () => {
    const exprs = alertQueries();
    expect(exprs.length).toBeGreaterThanOrEqual(7);
    expect(unknown(exprs, await exported())).toEqual([]);
  });

  it('the dashboard covers the series an operator asks for', () => {
    const used = new Set(dashboardQueries().flatMap(metricNames));
    for (const n of [
      'enricher_consumer_lag', 'enricher_documents_total', 'enricher_dlq_total', 'gen_ai_client_operation_duration_seconds_bucket',
      'enricher_llm_tokens_total', 'enricher_llm_cost_usd_total', 'enricher_budget_spend_usd', 'enricher_budget_limit_usd',
      'enricher_pool_wait_seconds_bucket', 'enricher_end_to_end_latency_seconds_bucket', 'enricher_commit_duration_seconds_bucket',
      'enricher_paused', 'enricher_redis_available',
    ]) expect(used, n).toContain(n);
  });

  it('Prometheus parses every dashboard query (promtool, with Grafana\'s variables filled in)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dash-rules-'));
    try {
      const rules = dashboardQueries().map((e, i) => {
        const filled = e.replaceAll('$__rate_interval', '1m').replace(/\$\w+/g, '.*');
        return `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(filled)}`;
      });
      writeFileSync(join(dir, 'rules.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const { stdout } = await promisify(execFile)('promtool', ['check', 'rules', join(dir, 'rules.yml')], { timeout: 20_000 })
        .catch((e: Error & { stdout?: string; stderr?: string }) => {
          throw new Error(`promtool check rules refused the dashboard's queries (or is not installed: apt-get install prometheus):\n${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`);
        });
      expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
