/**
 * Replay: stop the group, reset its offsets (`enricher replay`), start it again. With the
 * result cache in Redis the second run re-publishes every document without a single API
 * call, across a restart of the processor; a new prompt version pays again. The CLI refuses
 * while the group has members, and changes nothing without --yes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { replayCommand } from '../../src/cli/replay.ts';
import type { EnrichedDocument } from '../../src/contracts/index.ts';
import { parseReplayTarget, planReplay, ReplayUsageError } from '../../src/operations/replay.ts';
import { corpusDocs } from '../support/docs.ts';
import { startInstances, type Instances } from '../support/instances.ts';
import { jsonValue, readTopics, type ReadRecord } from '../support/kafka.ts';
import { testLogger } from '../support/logger.ts';
import { spawnCli } from '../support/processes.ts';
import { withRedis } from '../support/redis.ts';

describe('replay arguments', () => {
  it('takes exactly one of --to-earliest, --to-datetime, --to-offset', () => {
    expect(parseReplayTarget({ toEarliest: true })).toEqual({ kind: 'earliest' });
    expect(parseReplayTarget({ toOffset: '42' })).toEqual({ kind: 'offset', offset: 42 });
    expect(parseReplayTarget({ toDatetime: '2026-03-01T12:00:00Z' })).toEqual({ kind: 'datetime', at: Date.parse('2026-03-01T12:00:00Z'), text: '2026-03-01T12:00:00Z' });
    expect(parseReplayTarget({ toDatetime: '2026-03-01' })).toMatchObject({ kind: 'datetime', at: Date.UTC(2026, 2, 1) });
    expect(parseReplayTarget({ toDatetime: '2026-03-01T12:00+02:00' })).toMatchObject({ at: Date.UTC(2026, 2, 1, 10) });
    expect(() => parseReplayTarget({})).toThrow(/say where to replay from/);
    expect(() => parseReplayTarget({ toEarliest: true, toOffset: '1' })).toThrow(/choose one/);
  });

  it.each([
    [{ toOffset: '-1' }, /non-negative integer/],
    [{ toOffset: '1.5' }, /non-negative integer/],
    [{ toOffset: 'ten' }, /non-negative integer/],
    [{ toDatetime: 'yesterday' }, /ISO-8601/],
    [{ toDatetime: '2026-02-30' }, /ISO-8601/],
    [{ toDatetime: '2026-03-01T12:00:00' }, /ISO-8601/], // no zone: ambiguous
  ])('rejects %j with a clear message', (opts, message) => {
    expect(() => parseReplayTarget(opts)).toThrow(ReplayUsageError);
    expect(() => parseReplayTarget(opts)).toThrow(message);
  });
});

async function outputs(f: Instances, count: number): Promise<ReadRecord[]> {
  await readTopics(f.tk.kafka, f.outputTopics, { until: (r) => r.length >= count, timeoutMs: 45_000 });
  return readTopics(f.tk.kafka, f.outputTopics, { minCount: count, quietMs: 800 });
}

async function runOnce(f: Instances, count: number, promptVersion?: string): Promise<ReadRecord[]> {
  await f.startApps(['replay'], promptVersion ? { promptVersion } : {});
  const out = await outputs(f, count);
  await f.stopApps();
  return out;
}

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawnCli(args, env, 'replay-cli');
  const { code } = await child.exited;
  await child.logged; // the log file holds all the child wrote (its last lines leave at exit)
  return { code, output: readFileSync(child.logFile, 'utf8') };
}

describe('replay', () => {
  it('re-publishes every document from the Redis cache at no API cost, and pays again for a new prompt version', async () => {
    const f = await startInstances({
      server: { latencyMs: 5 },
      redisPool: 'replay',
      env: { TOPIC_PARTITIONS: '2', LLM_CACHE_SIZE: '1000', KAFKA_SESSION_TIMEOUT: '6s', KAFKA_HEARTBEAT_INTERVAL: '500ms' },
    });
    const { server, env, config, tk } = f;
    const docs = corpusDocs(8, 'rp');
    await f.send(docs);

    // 1. The first run pays: three calls per document.
    await f.startApps(['replay']);
    const first = await outputs(f, docs.length);
    expect(new Set(first.map((r) => r.key)).size).toBe(docs.length);
    const paid = server.stats().totalRequests;
    expect(paid).toBeGreaterThanOrEqual(docs.length * 3);
    const costEvents = async () => (await f.costEvents({ minCount: 1, quietMs: 800 })).length;
    const paidEvents = await costEvents();
    expect(paidEvents).toBe(paid);

    // 2. While it runs, the CLI refuses.
    const refused = await cli(['replay', '--to-earliest', '--yes'], env);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/refused: group .* has 1 active member/);
    await f.stopApps();

    // 3. Without --yes it shows the plan and changes nothing.
    const before = await tk.admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [config.topics.raw] });
    const planned = await cli(['replay', '--to-earliest'], env);
    expect(planned.code).toBe(0);
    expect(planned.output).toMatch(/partition 0: \d+ → 0/);
    expect(planned.output).toMatch(/partition 1: \d+ → 0/);
    expect(planned.output).toMatch(/8 message\(s\) will be processed again/);
    expect(planned.output).toMatch(/Result cache \(model gpt-4o-mini, prompt version [^)]+\): 8 of 8 document\(s\) answered in full, calling nothing; 0 not cached in full will call the LLM \(0 step call\(s\) at least\)/);
    expect(planned.output).toMatch(/nothing changed: run again with --yes/);
    expect(await tk.admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [config.topics.raw] })).toEqual(before);

    // The other targets plan as expected (plans only).
    const byOffset = await planReplay(tk.admin, config.kafka.groupId, config.topics.raw, { kind: 'offset', offset: 2 });
    for (const p of byOffset.partitions) expect(p.next).toBe(String(Math.min(2, Number(p.high))));
    const byFuture = await planReplay(tk.admin, config.kafka.groupId, config.topics.raw, parseReplayTarget({ toDatetime: '2100-01-01' }));
    for (const p of byFuture.partitions) expect(p.next).toBe(p.high);
    const byPast = await planReplay(tk.admin, config.kafka.groupId, config.topics.raw, parseReplayTarget({ toDatetime: '2000-01-01' }));
    for (const p of byPast.partitions) expect(p.next).toBe(p.low);

    // 4. The same function the CLI runs, with --yes: offsets back to the start.
    const lines: string[] = [];
    const code = await replayCommand(config, testLogger(), { toEarliest: true, yes: true }, { write: (s) => lines.push(s), error: (s) => lines.push(s) }, tk.kafka);
    expect(code).toBe(0);
    expect(lines.join('')).toMatch(/offsets reset; the group now stands at:\n {2}partition 0: 0\n {2}partition 1: 0/);

    // 5. A new processor (fresh process state, same Redis): every document again, no API call.
    const second = await runOnce(f, docs.length * 2);
    expect(server.stats().totalRequests).toBe(paid);
    expect(await costEvents()).toBe(paidEvents); // a cache hit emits no cost event
    const perKey = new Map<string, number>();
    for (const r of second) perKey.set(r.key!, (perKey.get(r.key!) ?? 0) + 1);
    expect([...perKey.values()]).toEqual(docs.map(() => 2)); // every document published again
    const cachedUsage = second.filter((r) => r.topic !== config.topics.dlq).map((r) => jsonValue<EnrichedDocument>(r).usage).filter((u) => u.calls === 0);
    expect(cachedUsage).toHaveLength(docs.length); // the replayed copies: answered by the cache…
    for (const u of cachedUsage) expect(u).toMatchObject({ calls: 0, cached_calls: 3, cost_usd: 0 }); // …and marked as such

    // An answer the cache lost (a write given up on, an eviction): the replay's plan says which calls it will pay.
    const summaries = await withRedis((r) => r.keys(`${f.pool}:llm-cache:summarize:*`));
    expect(summaries).toHaveLength(docs.length);
    await withRedis((r) => r.del(summaries[0]!));
    const short = await cli(['replay', '--to-earliest'], env);
    expect(short.output).toMatch(/: 7 of 8 document\(s\) answered in full, calling nothing; 1 not cached in full will call the LLM \(2 step call\(s\) at least\)/);

    // 6. A new prompt version: the cache does not answer for the old prompts; the calls are made again.
    expect(await replayCommand(config, testLogger(), { toEarliest: true, yes: true }, { write: () => undefined, error: () => undefined }, tk.kafka)).toBe(0);
    const third = await runOnce(f, docs.length * 3, 'replay-test-v2');
    expect(server.stats().totalRequests).toBeGreaterThanOrEqual(paid * 2);
    const bumped = third.filter((r) => r.topic !== config.topics.dlq).map((r) => jsonValue<EnrichedDocument>(r)).filter((d) => d.prompt_version === 'replay-test-v2');
    expect(bumped).toHaveLength(docs.length);
    for (const d of bumped) expect(d.usage).toMatchObject({ calls: 3, cached_calls: 0 });
  }, 90_000);
});
