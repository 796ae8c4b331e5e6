/**
 * Keeps the benchmark harness from rotting: a --quick run of every scenario must finish and
 * write its report. It asserts that each scenario produced a measurement, never how good it is
 * (performance targets belong to the benchmark, not to the test suite).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaConnectionEnv } from '../../src/processes/clients.ts';

describe('benchmark harness (quick smoke run)', () => {
  it('runs every scenario and writes the report and chart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
    const out = join(dir, 'results.md');
    execFileSync(process.execPath, ['bench/run.ts', '--quick', '--scenario', 'all', '--out', out], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...kafkaConnectionEnv(process.env), KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
      stdio: 'pipe',
      timeout: 420_000,
    });
    const md = readFileSync(out, 'utf8');
    const titles = ['LLM-bound saturation', 'Pipeline overhead', 'Added latency', 'Scale-out', 'Replay with the result cache warm', 'Pipeline ceiling', 'Saturation under heavy-tailed latency', 'Tracing overhead'];
    for (const title of titles) expect(md, title).toContain(`## ${title}`);
    // Every headline row carries a number (the measurement happened), whatever its value.
    const rows = md.split('\n').filter((l) => titles.some((t) => l.startsWith(`| ${t}`)));
    expect(rows).toHaveLength(titles.length);
    for (const r of rows) expect(r.split('|')[3]!.trim()).toMatch(/^\d+\.\d{3}$/);
    expect(existsSync(join(dir, 'results.svg'))).toBe(true);
    expect(readFileSync(join(dir, 'results.svg'), 'utf8')).toContain('<svg');
  }, 440_000);
});
