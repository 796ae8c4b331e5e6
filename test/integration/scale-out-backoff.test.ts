/**
 * Shared backoff: two processor instances (two apps in this process, each with its own
 * limiter, provider and Kafka clients; they only share the broker and Redis) work one topic.
 * One request gets a 429 with Retry-After: 2. The instance that got it holds; with Redis the
 * other one holds too, so the API hears nothing from ANYONE for those 2 s. Without Redis (the
 * contrast) the other instance keeps calling.
 * Asserted on the server's request arrival times; requests already sent before the 429 was
 * answered are allowed, with 100 ms of grace for ones that passed the hold check just then.
 */
import { describe, expect, it } from 'vitest';
import { corpusDocs } from '../support/docs.ts';
import { startInstances } from '../support/instances.ts';

const GRACE_MS = 100;
const HOLD_MS = 2000;

async function runWith429(redisPool: string | undefined) {
  const f = await startInstances({
    server: { latencyMs: 100 },
    redisPool,
    env: {
      TOPIC_PARTITIONS: '4',
      LLM_POOL_SLOTS: '4',
      LLM_CALL_RETRIES: '1',
      LLM_TIMEOUT: '5s',
      KAFKA_SESSION_TIMEOUT: '6s',
      KAFKA_HEARTBEAT_INTERVAL: '500ms',
    },
  });
  const { server } = f;
  await f.startApps(['backoff-a', 'backoff-b']);
  await f.waitForMembers(2, 30_000);

  const docs = corpusDocs(90, 'bo');
  // One 429, early, on one document: whichever instance owns it is "the one told".
  server.addFault({ match: { documentId: 'bo-12', step: 'summarize' }, times: 1, action: { status: 429, retryAfterSeconds: HOLD_MS / 1000 } });
  await f.send(docs);
  await f.awaitEveryDocument(docs);
  const instanceOf = new Map<string, string>();
  for (const e of await f.costEvents({ minCount: docs.length * 3, quietMs: 800 })) instanceOf.set(e.document_id, e.instance_id ?? '?');

  const requests = server.requests();
  const limited = requests.find((r) => r.status === 429)!;
  expect(limited).toBeDefined();
  const answeredAt = limited.at + limited.durationMs;
  const inHold = requests.filter((r) => r.at > answeredAt + GRACE_MS && r.at < answeredAt + HOLD_MS - GRACE_MS);
  const after = requests.filter((r) => r.at >= answeredAt + HOLD_MS - GRACE_MS);
  const before = requests.filter((r) => r.at < answeredAt);
  const instancesOf = (rs: typeof requests) => [...new Set(rs.map((r) => instanceOf.get(r.documentId ?? '')))].sort();
  return { told: instanceOf.get('bo-12'), inHold, before: instancesOf(before), after: instancesOf(after), inHoldBy: instancesOf(inHold) };
}

describe('shared backoff', () => {
  it('with Redis, a 429 with Retry-After: 2 seen by one instance holds the calls of every instance', async () => {
    const r = await runWith429('backoff');
    console.log(`[backoff] shared: 429 told to ${r.told}; requests during the hold: ${r.inHold.length}`);
    expect(r.before).toEqual(['backoff-a', 'backoff-b']); // both were calling before the 429…
    expect(r.inHold).toEqual([]); // …nobody called during the hold…
    expect(r.after).toEqual(['backoff-a', 'backoff-b']); // …and both went on afterwards.
  }, 90_000);

  it('without Redis (the contrast), only the instance told holds; the other keeps calling', async () => {
    const r = await runWith429(undefined);
    console.log(`[backoff] per instance: 429 told to ${r.told}; requests during the hold: ${r.inHold.length} by ${r.inHoldBy.join(',')}`);
    expect(r.inHold.length).toBeGreaterThan(0);
    expect(r.inHoldBy).not.toContain(r.told);
  }, 90_000);
});
