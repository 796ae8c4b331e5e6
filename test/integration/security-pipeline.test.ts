/**
 * A full run on the secured broker (SASL_SSL, SCRAM-SHA-512, the StandardAuthorizer): the
 * service's user holds exactly the rights the README lists (src/kafka/acls.ts) on this test's
 * topics, which an administrator created. Documents go in with `enricher produce`, the processor
 * and the aggregator run as child processes, `enricher costs` and `enricher config set` work,
 * every document comes out exactly once, and no log line of any process holds the password.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusDocs } from '../support/docs.ts';
import { randomName, readTopics } from '../support/kafka.ts';
import { freePort } from '../support/ports.ts';
import { spawnCli, type Child } from '../support/processes.ts';
import { ensureSecureStack, prepareSecureTest, secureTestEnv } from '../support/secure-kafka.ts';

const children: Child[] = [];
let cleanup: (() => Promise<void>) | undefined;
afterAll(async () => {
  await Promise.all(children.map((c) => c.kill('SIGKILL')));
  await cleanup?.();
});

function cli(args: string[], env: Record<string, string>, name: string): Child {
  const c = spawnCli(args, env, name);
  children.push(c);
  return c;
}

async function output(c: Child): Promise<{ code: number | null; text: string }> {
  const { code } = await c.exited;
  await c.logged;
  return { code, text: readFileSync(c.logFile, 'utf8') };
}

describe('the pipeline over SASL_SSL with SCRAM-SHA-512, as a user with exactly the README\'s rights', () => {
  it('routes every document exactly once through produce, start, aggregate-costs, costs and config, and logs no secret', async () => {
    const stack = await ensureSecureStack();
    const passwordFile = join(tmpdir(), `${randomName('pw')}.txt`);
    writeFileSync(passwordFile, `${stack.passwords.app}\n`, { mode: 0o600 });
    // The password comes from a file, as from a mounted secret.
    const env: Record<string, string> = { ...secureTestEnv(stack, 'app', { LOG_LEVEL: 'debug', TOPIC_PARTITIONS: '2', COST_FLUSH_INTERVAL: '200ms' }), KAFKA_SASL_PASSWORD_FILE: passwordFile };
    delete env.KAFKA_SASL_PASSWORD;
    const t = await prepareSecureTest(stack, env);
    cleanup = () => t.cleanup();
    await t.grant(['start', 'aggregate-costs', 'produce', 'costs', 'config get', 'config set, unset']);
    const { config, admin } = t;

    const docs = corpusDocs(24, randomName('sec'));
    const file = join(tmpdir(), `${randomName('docs')}.jsonl`);
    writeFileSync(file, docs.map((d) => JSON.stringify(d)).join('\n'));
    // The three start side by side: a child's start-up is most of its run here.
    const metricsPort = await freePort();
    const processor = cli(['start'], { ...env, INSTANCE_ID: 'sec-1', METRICS_PORT: String(metricsPort) }, 'sec-start');
    const aggregator = cli(['aggregate-costs'], env, 'sec-aggregate');
    const produced = await output(cli(['produce', file], env, 'sec-produce'));
    expect(produced.code).toBe(0);
    expect(produced.text).toContain(`sent ${docs.length} messages`);

    const outputs = [config.topics.enriched, config.topics.review, config.topics.dlq];
    const all = await readTopics(admin.kafka, outputs, { until: (r) => new Set(r.map((x) => x.key)).size >= docs.length, timeoutMs: 120_000 });
    const counts = new Map<string, number>();
    for (const r of await readTopics(admin.kafka, outputs, { minCount: all.length, quietMs: 2000 })) counts.set(r.key!, (counts.get(r.key!) ?? 0) + 1);
    expect(docs.filter((d) => counts.get(d.id) !== 1).map((d) => d.id)).toEqual([]);
    expect(counts.size).toBe(docs.length);

    // Three calls per document (offline provider): once the aggregator has them, `enricher costs` shows them.
    const calls = (recs: { key: string | null; value: Buffer | null }[]) => {
      const latest = new Map(recs.map((r) => [r.key, (JSON.parse(r.value!.toString()) as { calls: number }).calls]));
      return [...latest.values()].reduce((a, b) => a + b, 0);
    };
    await readTopics(admin.kafka, [config.topics.costsDaily], { until: (r) => calls(r) >= 3 * docs.length, timeoutMs: 60_000 });
    const [costs, set] = await Promise.all([
      output(cli(['costs', '--by', 'step'], env, 'sec-costs')),
      output(cli(['config', 'set', 'quality_threshold', '0.7'], env, 'sec-config-set')),
    ]);
    expect(costs.code).toBe(0);
    expect(costs.text).toMatch(new RegExp(`total\\s+${3 * docs.length}\\s`));
    expect(set.code).toBe(0);
    expect(set.text).toContain('quality_threshold = 0.7');

    // The metrics (labels included) hold no secret either.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('enricher_');
    expect(Object.values(stack.passwords).filter((p) => metrics.includes(p))).toEqual([]);

    processor.proc.kill('SIGTERM');
    aggregator.proc.kill('SIGTERM');
    expect((await processor.exited).code).toBe(0);
    expect((await aggregator.exited).code).toBe(0);

    // Every line every process logged, debug included: none holds a password.
    await Promise.all(children.map((c) => c.logged));
    const lines = children.flatMap((c) => readFileSync(c.logFile, 'utf8').split('\n')).filter(Boolean);
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.some((l) => l.includes('"level":"debug"'))).toBe(true);
    const leaks = lines.filter((l) => Object.values(stack.passwords).some((p) => l.includes(p)));
    expect(leaks).toEqual([]);
  }, 300_000);
});
