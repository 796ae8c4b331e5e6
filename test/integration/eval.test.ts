/**
 * `enricher eval` against the real broker: a review topic and a decisions topic filled with
 * known items and decisions, a runtime threshold on pipeline.config, and a candidate model
 * answered by the fake OpenAI server (its classify answer follows the @category/@confidence
 * directives in each document). The printed table and the JSON are checked against what was
 * set up, and the candidate's cost against its cost events and the server's billed tokens.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { Headers, type ReviewDecision, type ReviewItem } from '../../src/contracts/index.ts';
import { loadPrompts } from '../../src/llm/chain/prompt-files.ts';
import { PROMPT_SPECS } from '../../src/llm/chain/steps/index.ts';
import { createPricing } from '../../src/llm/pricing.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { storeSetting } from '../../src/settings/settings-topic.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.ts';
import { connectTestKafka, jsonValue, readTopics, testEnv, type TestKafka } from '../support/kafka.ts';
import { reviewItem } from '../support/review.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CANDIDATE = 'gpt-4.1-nano';

/** Each document: the primary's answer (on the review item), the reviewer's decision, and what the candidate will answer. */
const CASES = [
  { id: 'd1', primary: ['finance', 0.7], decision: 'accepted', candidate: ['finance', 0.9] },
  { id: 'd2', primary: ['business', 0.65], decision: 'edited', category: 'finance', candidate: ['finance', 0.85] },
  { id: 'd3', primary: ['science', 0.5], decision: 'accepted', candidate: ['technology', 0.95] },
  { id: 'd4', primary: ['health', 0.75], decision: 'rejected', candidate: ['health', 0.5] },
  { id: 'd5', primary: ['sport', 0.72], decision: 'accepted', reasons: ['LOW_CONFIDENCE', 'INCONSISTENT_SCORES'], candidate: ['sport', 0.7] },
  { id: 'd6', primary: ['legal', 0.4], decision: 'edited', category: 'politics', candidate: ['politics', 0.55] },
] as const;

function run(env: Record<string, string>, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['src/cli/main.ts', 'eval', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('enricher eval (real broker, fake OpenAI server)', () => {
  let env: Record<string, string>;
  let config: Config;
  let tk: TestKafka;
  let server: FakeOpenAiServer;

  beforeAll(async () => {
    server = await startFakeOpenAiServer({});
    env = testEnv({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url, LLM_MODEL: 'gpt-4o-mini', CONFIDENCE_MODE: 'self', QUALITY_THRESHOLD: '0.8' });
    config = loadConfig(env);
    tk = await connectTestKafka(config);
    await tk.createTopics(config);
    // Reviewed at 0.8; the threshold is 0.6 now (a runtime setting), which is the one eval judges at.
    await storeSetting(tk.kafka, config, 'quality_threshold', '0.6');
    const producer = tk.kafka.producer();
    await producer.connect();
    const t0 = Date.parse('2026-11-30T10:00:00Z');
    for (const [i, c] of CASES.entries()) {
      const base = reviewItem(c.id, { category: c.primary[0], confidence: c.primary[1], reasons: 'reasons' in c ? [...c.reasons] : ['LOW_CONFIDENCE'] });
      const item: ReviewItem = { ...base, original_content: `@category=${c.candidate[0]} @confidence=${c.candidate[1]} ${base.original_content}`, prompt_version: 'fc18ee12e894' };
      const [at] = await producer.send({ topic: config.topics.review, acks: -1, messages: [{ key: c.id, value: JSON.stringify(item), headers: { [Headers.route]: 'review' } }] });
      const decision: ReviewDecision = {
        decision_id: `dec-${c.id}`, document_id: c.id, decision: c.decision, reviewer: 'alice', decided_at: new Date(t0 + i * 60_000).toISOString(),
        item: { topic: config.topics.review, partition: at!.partition, offset: at!.baseOffset! },
        original_category: c.primary[0], original_confidence: c.primary[1],
        ...(c.decision === 'rejected' ? { reject_reason: 'OUT_OF_SCOPE' as const } : { category: 'category' in c ? c.category : c.primary[0] }),
        review_reasons: 'reasons' in c ? [...c.reasons] : ['LOW_CONFIDENCE'],
        output_topic: c.decision === 'rejected' ? config.topics.rejected : config.topics.enriched,
      };
      await producer.send({ topic: config.topics.reviewDecisions, acks: -1, messages: [{ key: c.id, value: JSON.stringify(decision) }] });
    }
    // A decision whose review record is gone (retention): left out, and said so.
    const gone: ReviewDecision = {
      decision_id: 'dec-d7', document_id: 'd7', decision: 'accepted', reviewer: 'bob', decided_at: new Date(t0 - 60_000).toISOString(),
      item: { topic: config.topics.review, partition: 0, offset: '9999' }, original_category: 'other', original_confidence: 0.3, category: 'other',
      review_reasons: ['LOW_CONFIDENCE'], output_topic: config.topics.enriched,
    };
    await producer.send({ topic: config.topics.reviewDecisions, acks: -1, messages: [{ key: 'd7', value: JSON.stringify(gone) }] });
    await producer.disconnect();
  });

  afterAll(async () => {
    await tk?.cleanup();
    await server?.close();
  });

  it('prints the table and writes the JSON: accuracy, precision at the runtime threshold, cost per 1,000 documents', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'eval-')), 'report.json');
    const r = await run(env, ['--candidate', CANDIDATE, '--json', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(file, 'utf8'));

    // The candidate's cost: the server's billed tokens at the price table's gpt-4.1-nano prices, and its cost events say the same.
    const pricing = createPricing({ logger: silentLogger() });
    const billed = server.requests().filter((q) => q.billed);
    expect(billed).toHaveLength(18);
    expect(new Set(billed.map((q) => q.model))).toEqual(new Set([CANDIDATE]));
    const expectedCost = billed.reduce((s, q) => s + pricing.price({ model: CANDIDATE, inputTokens: q.promptTokens, cachedInputTokens: 0, outputTokens: q.completionTokens }).costUsd, 0);
    const events = (await readTopics(tk.kafka, [config.topics.costEvents], { quietMs: 1000, timeoutMs: 30_000 })).map((e) => jsonValue<{ cost_usd: number; run_id: string; model: string }>(e));
    expect(events).toHaveLength(18);
    expect(events.every((e) => e.run_id === report.runId && e.model === CANDIDATE)).toBe(true);
    const eventsCost = events.reduce((s, e) => s + e.cost_usd, 0);
    expect(report.candidate.metrics.costUsd).toBeCloseTo(expectedCost, 12);
    expect(eventsCost).toBeCloseTo(expectedCost, 12);

    expect(report.threshold).toEqual({ value: 0.6, source: config.topics.config });
    expect(report.documents).toBe(6);
    expect(report.decisions).toEqual({ accepted: 3, edited: 2, rejected: 1 });
    expect(report.withoutOriginal).toBe(1);
    expect(report.primary.models).toEqual(['gpt-4o-mini']);
    expect(report.primary.promptVersions).toEqual(['fc18ee12e894']);
    expect(report.primary.metrics).toEqual({
      documents: 6, judged: 5, correct: 3, accuracy: 0.6, published: 3, publishedRight: 1, precision: 1 / 3, costUsd: 0.001494, costPer1k: 0.249,
    });
    const { costUsd, costPer1k, ...candidate } = report.candidate.metrics;
    expect(candidate).toEqual({ documents: 6, judged: 5, correct: 4, accuracy: 0.8, published: 4, publishedRight: 3, precision: 0.75 });
    expect(costPer1k).toBeCloseTo((costUsd / 6) * 1000, 12);
    expect(report.candidate.models).toEqual([CANDIDATE]);
    expect(report.candidate.failed).toBe(0);
    expect(report.agreement).toEqual({ same: 3, of: 6, share: 0.5 });
    expect(Object.fromEntries(report.cases.map((c: { documentId: string; candidate: { category: string; confidence: number; wouldPublish: boolean } }) => [c.documentId, [c.candidate.category, c.candidate.confidence, c.candidate.wouldPublish]]))).toEqual({
      d1: ['finance', 0.9, true], d2: ['finance', 0.85, true], d3: ['technology', 0.95, true], d4: ['health', 0.5, false], d5: ['sport', 0.7, true], d6: ['politics', 0.55, false],
    });

    const usd = (n: number) => `$${n.toFixed(6)}`;
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`6 reviewed document(s): 3 accepted, 2 edited, 1 rejected; threshold 0.6 (${config.topics.config})`);
    const row = (label: string) => lines.find((l) => l.startsWith(label))!.slice(label.length).trim().split(/\s{3,}/);
    expect(row('model')).toEqual(['gpt-4o-mini', CANDIDATE]);
    expect(row('prompt version')[0]).toBe('fc18ee12e894');
    expect(row('category matches reviewer')).toEqual(['3/5  60.0 %', '4/5  80.0 %']);
    expect(row('would publish')).toEqual(['3', '4']);
    expect(row('precision of what it publishes')).toEqual(['1/3  33.3 %', '3/4  75.0 %']);
    expect(row('cost per 1,000 documents')).toEqual(['$0.249000', usd(costPer1k)]);
    expect(row('cost ')).toEqual(['$0.001494', usd(costUsd)]);
    // Aligned: every column of the table starts at the same place on each row.
    const table = lines.slice(2, 10);
    const starts = table.map((l) => l.indexOf(l.trim().split(/\s{3,}/)[1]!, 1));
    expect(new Set(starts.slice(1)).size).toBe(1);
    expect(r.stdout).toContain('the two name the same category on 3 of 6 (50.0 %).');
    expect(r.stdout).toContain('1 decision(s) left out');
    expect(r.stdout).toContain(`candidate calls: run id ${report.runId}`);
  });

  it('--limit takes the most recently decided; --json alone prints JSON only', async () => {
    const r = await run(env, ['--candidate', CANDIDATE, '--limit', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.cases.map((c: { documentId: string }) => c.documentId)).toEqual(['d6', 'd5']);
    expect(report.candidate.metrics).toMatchObject({ judged: 2, correct: 2, published: 1, publishedRight: 1 });
    expect(report.primary.metrics).toMatchObject({ judged: 2, correct: 1, published: 0, precision: null });
  });

  it('a prompts folder is a candidate too: its version, the configured models, the offline provider without a key', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'eval-prompts-')), 'prompts-v2');
    cpSync(join(ROOT, 'prompts'), dir, { recursive: true });
    appendFileSync(join(dir, 'classify.md'), '\n');
    const version = loadPrompts(dir, PROMPT_SPECS).version;
    const r = await run({ ...env, LLM_PROVIDER: 'offline', OPENAI_API_KEY: '' }, ['--candidate', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.candidate.promptVersion).toBe(version);
    expect(version).not.toBe(loadPrompts(join(ROOT, 'prompts'), PROMPT_SPECS).version);
    expect(report.candidate.models).toEqual(['gpt-4o-mini']);
    expect(report.candidate.failed).toBe(0);
    expect(report.documents).toBe(6);
    expect(report.candidate.metrics.costUsd).toBeGreaterThan(0);
  });
});
