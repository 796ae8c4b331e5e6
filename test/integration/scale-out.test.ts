/**
 * Scale-out, with real processes: three `node src/cli/main.ts start` children in one consumer
 * group, LLM_POOL_SLOTS=5, against the local OpenAI-compatible server (100 ms per call),
 * which records how many calls it had in flight at once.
 *
 *   with REDIS_URL    → one pool for the deployment: never more than 5 calls in flight;
 *   without REDIS_URL → one pool per instance: up to 3 × 5 = 15 in flight.
 *
 * Both tests also check that all three instances did work (the cost events carry the
 * instance id), so that the first one's 5 are not simply the only ones that ran.
 */
import { describe, expect, it } from 'vitest';
import { corpusDocs } from '../support/docs.ts';
import { startInstances } from '../support/instances.ts';
import { withRedis } from '../support/redis.ts';

const INSTANCES = ['scale-a', 'scale-b', 'scale-c'];

/** Starts three processors, waits until each owns partitions, then sends the documents. */
async function runThreeInstances(redisPool: string | undefined, docCount: number) {
  const f = await startInstances({
    server: { latencyMs: 100 },
    redisPool,
    env: {
      TOPIC_PARTITIONS: '6',
      LLM_POOL_SLOTS: '5', // LLM_CACHE_SIZE=0: every document pays, and the pool is what is measured
      KAFKA_SESSION_TIMEOUT: '6s',
      KAFKA_HEARTBEAT_INTERVAL: '500ms',
      LOG_LEVEL: 'info',
    },
  });
  for (const id of INSTANCES) f.spawn(id);
  await f.waitForMembers(INSTANCES.length);
  const docs = corpusDocs(docCount, 'so');
  await f.send(docs);
  await f.awaitEveryDocument(docs);
  const perInstance = new Map<string, number>();
  for (const e of await f.costEvents({ minCount: docCount * 3, quietMs: 1000, timeoutMs: 20_000 })) {
    perInstance.set(e.instance_id ?? '?', (perInstance.get(e.instance_id ?? '?') ?? 0) + 1);
  }
  return { f, stats: f.server.stats(), perInstance };
}

describe('scale-out: the LLM pool across instances', () => {
  it('with Redis, three instances share ONE pool of 5: the API never sees more than 5 calls at once', async () => {
    const { f, stats, perInstance } = await runThreeInstances('scale', 120);
    console.log(`[scale-out] global pool: max in flight ${stats.maxInFlight}, calls ${stats.totalRequests}, per instance ${JSON.stringify(Object.fromEntries(perInstance))}`);
    expect(stats.maxInFlight).toBeLessThanOrEqual(5);
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(4); // the pool was saturated, not idle
    expect([...perInstance.keys()].sort()).toEqual(INSTANCES);
    for (const n of perInstance.values()) expect(n).toBeGreaterThan(20);

    // SIGTERM: each instance stops cleanly and closes its Redis connections.
    const exits = await Promise.all(f.children.map((c) => c.kill('SIGTERM')));
    expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
    const clients = await withRedis((r) => r.client('LIST') as Promise<string>);
    expect(clients).not.toContain(`llm-pool:${f.pool}`);
    expect(clients).not.toContain(`llm-cache:${f.pool}`);
  }, 90_000);

  it('without Redis (the contrast), each instance has its own pool of 5: up to 15 calls at once', async () => {
    const { stats, perInstance } = await runThreeInstances(undefined, 120);
    console.log(`[scale-out] per-instance pools: max in flight ${stats.maxInFlight}, calls ${stats.totalRequests}, per instance ${JSON.stringify(Object.fromEntries(perInstance))}`);
    expect(stats.maxInFlight).toBeGreaterThan(5);
    expect(stats.maxInFlight).toBeLessThanOrEqual(15);
    expect([...perInstance.keys()].sort()).toEqual(INSTANCES);
  }, 90_000);
});
