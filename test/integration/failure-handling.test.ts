/**
 * Failure handling end to end: the real SDK against the local fault-injecting server, the real
 * broker, short retry tiers (1 s, 2 s, 4 s).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Headers, type RetryEnvelope } from '../../src/contracts/index.ts';
import { doc, startHarness, type Harness } from '../support/harness.ts';
import { jsonValue, outputTopics, readTopics, type ReadRecord } from '../support/kafka.ts';
import { sleep, waitUntil } from '../support/time.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function waitForOutputs(x: Harness, ids: string[], timeoutMs = 60_000): Promise<ReadRecord[]> {
  const want = new Set(ids);
  const out = await readTopics(x.tk.kafka, outputTopics(x.config), {
    until: (r) => [...want].every((id) => r.some((m) => m.key === id)),
    timeoutMs,
  });
  // A duplicate, if any, would be committed by now too: read once more, settled.
  return readTopics(x.tk.kafka, outputTopics(x.config), { minCount: out.length, quietMs: 1000 });
}

function stepCalls(x: Harness, id: string, step: string): number {
  return x.server.requests().filter((r) => r.documentId === id && r.step === step).length;
}

describe('failure handling', () => {
  it('recovers 429, 500, timeouts and malformed JSON through the retry topics without re-calling finished steps', async () => {
    h = await startHarness({ TOPIC_PARTITIONS: '2' });
    // Each fault outlasts the in-call retry (1 SDK retry), so the document goes to a retry topic.
    h.server.addFault({ match: { documentId: 'd-429', step: 'summarize' }, times: 3, action: { status: 429, retryAfterSeconds: 1 } });
    h.server.addFault({ match: { documentId: 'd-500', step: 'classify' }, times: 2, action: { status: 500 } });
    h.server.addFault({ match: { documentId: 'd-timeout', step: 'summarize' }, times: 2, action: { timeout: true } });
    h.server.addFault({ match: { documentId: 'd-malformed', step: 'classify' }, times: 2, action: { malformed: true } });
    const ids = ['d-429', 'd-500', 'd-timeout', 'd-malformed', 'd-ok-1', 'd-ok-2'];
    await h.produce(ids.map((id) => doc(id)));

    const out = await waitForOutputs(h, ids);
    const keys = out.map((r) => r.key);
    expect(keys.sort()).toEqual([...ids].sort()); // each exactly once
    expect(out.every((r) => r.topic === h!.config.topics.enriched)).toBe(true);

    // A retry resumes at the failed step: the steps before it were called once.
    expect(stepCalls(h, 'd-429', 'extract')).toBe(1);
    expect(stepCalls(h, 'd-429', 'summarize')).toBe(4); // 2 failed + 1 failed + 1 ok
    expect(stepCalls(h, 'd-500', 'extract')).toBe(1);
    expect(stepCalls(h, 'd-500', 'summarize')).toBe(1);
    expect(stepCalls(h, 'd-500', 'classify')).toBe(3);
    expect(stepCalls(h, 'd-timeout', 'extract')).toBe(1);
    expect(stepCalls(h, 'd-malformed', 'summarize')).toBe(1);
    expect(stepCalls(h, 'd-malformed', 'classify')).toBe(3); // answer + repair malformed, then ok
    expect(stepCalls(h, 'd-ok-1', 'extract')).toBe(1);

    // The retry topics carried envelopes with the progress so far.
    const retries = await readTopics(h.tk.kafka, [`${h.config.topics.retryPrefix}.1s`], { minCount: 1 });
    const env = retries.map((r) => jsonValue<RetryEnvelope>(r)).find((e) => e.document.id === 'd-500')!;
    expect(env.progress.extract?.entities).toBeDefined();
    expect(env.progress.summarize?.summary).toBeTruthy();
    expect(env.progress.classify).toBeUndefined();
    expect(env.attempt).toBe(2);
    expect(env.last_error.code).toBe('LLM_SERVER_ERROR');
    expect(Date.parse(env.due_at) - Date.parse(env.first_failed_at)).toBeGreaterThanOrEqual(1000);
  });

  it('sends a permanent failure to the DLQ at once, and a transient one after exactly 3 retries no sooner than the tiers', async () => {
    h = await startHarness({ TOPIC_PARTITIONS: '1' });
    h.server.addFault({ match: { documentId: 'd-perm', step: 'summarize' }, action: { status: 400, message: 'bad request' } });
    h.server.addFault({ match: { documentId: 'd-never', step: 'extract' }, action: { status: 503 } });
    await h.produce([doc('d-perm'), doc('d-never'), doc('d-fine')]);

    const out = await waitForOutputs(h, ['d-perm', 'd-never', 'd-fine'], 90_000);
    const dlq = out.filter((r) => r.topic === h!.config.topics.dlq);
    expect(dlq.map((r) => r.key).sort()).toEqual(['d-never', 'd-perm']);
    expect(out.find((r) => r.key === 'd-fine')!.topic).toBe(h.config.topics.enriched);

    const perm = dlq.find((r) => r.key === 'd-perm')!;
    expect(perm.headers[Headers.errorCode]).toBe('LLM_BAD_REQUEST');
    expect(perm.headers[Headers.errorStage]).toBe('summarize');
    expect(perm.headers[Headers.errorAttempts]).toBe('1');
    expect(perm.headers[Headers.originalTopic]).toBe(h.config.topics.raw);
    expect(perm.headers[Headers.originalPartition]).toBe('0');
    expect(perm.headers[Headers.originalOffset]).toBe('0');
    expect(Number(perm.headers[Headers.originalTimestamp])).toBeGreaterThan(0);
    expect(JSON.parse(perm.value!.toString()).id).toBe('d-perm');
    expect(stepCalls(h, 'd-perm', 'summarize')).toBe(1); // permanent: never retried

    const never = dlq.find((r) => r.key === 'd-never')!;
    expect(never.headers[Headers.errorCode]).toBe('LLM_SERVER_ERROR');
    expect(never.headers[Headers.errorStage]).toBe('extract');
    expect(never.headers[Headers.errorAttempts]).toBe('4'); // first delivery + 3 retries
    expect(never.headers[Headers.originalOffset]).toBe('1');
    expect(JSON.parse(never.value!.toString())).toMatchObject({ id: 'd-never' });

    // Attempts start: first delivery, then retries no sooner than 1 s, 2 s, 4 s after the failure.
    const calls = h.server.requests().filter((r) => r.documentId === 'd-never' && r.retryCount === 0).map((r) => r.at);
    expect(calls).toHaveLength(4);
    const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2000);
    expect(gaps[2]).toBeGreaterThanOrEqual(4000);
  });

  it('pauses on 401 without sending anything to the DLQ, and resumes once the API accepts us again', async () => {
    h = await startHarness({ TOPIC_PARTITIONS: '1' }, { apiKey: 'the-right-key' });
    await h.produce([doc('a-1'), doc('a-2'), doc('a-3')]);
    // The key is wrong: every call and every probe gets 401.
    await waitUntil(() => h!.app.intake.reasons().includes('service-error'), 20_000, 'the service-error pause', 100);
    expect(h.app.intake.reasons()).toContain('service-error');
    await sleep(1500);
    const during = await readTopics(h.tk.kafka, outputTopics(h.config), { quietMs: 500 });
    expect(during).toHaveLength(0);
    expect(h.server.stats().modelRequests).toBeGreaterThan(0); // it keeps probing

    h.server.configure({ apiKey: 'sk-test-not-a-real-key' }); // the operator fixes the key
    const out = await waitForOutputs(h, ['a-1', 'a-2', 'a-3']);
    expect(out.map((r) => r.key).sort()).toEqual(['a-1', 'a-2', 'a-3']);
    expect(out.some((r) => r.topic === h!.config.topics.dlq)).toBe(false);
    expect(h.app.intake.isPaused()).toBe(false);
  });

  it('does not let a failing document block the partition behind it', async () => {
    // Tiers long enough that the order asserted below is the engine's, not a race between a
    // 1 s tier and a loaded machine (a CI run once took longer than 1 s for the 12 behind it).
    h = await startHarness({ TOPIC_PARTITIONS: '1', RETRY_DELAYS: '3s,4s,5s' });
    h.server.addFault({ match: { documentId: 'slow-fail', step: 'extract' }, action: { status: 503 } });
    const behind = Array.from({ length: 12 }, (_, i) => doc(`behind-${i}`));
    await h.produce([doc('slow-fail'), ...behind]);
    const out = await waitForOutputs(h, ['slow-fail', ...behind.map((d) => d.id)], 90_000);
    // Order of completion: every document behind it was written before the failing one reached
    // the DLQ. (Record timestamps, not read order: a reader interleaves topics as it likes.)
    const failed = out.find((r) => r.key === 'slow-fail')!;
    expect(failed.topic).toBe(h.config.topics.dlq);
    for (const d of behind) {
      const r = out.find((x) => x.key === d.id);
      expect(r, d.id).toBeDefined();
      expect(r!.timestamp, d.id).toBeLessThan(failed.timestamp);
    }
    // …and they were all finished by the server before the failing document's first retry.
    const firstRetry = h.server.requests().filter((r) => r.documentId === 'slow-fail' && r.retryCount === 0)[1]!.at;
    const lastBehind = Math.max(...h.server.requests().filter((r) => r.documentId?.startsWith('behind-')).map((r) => r.at));
    expect(lastBehind).toBeLessThan(firstRetry);
  });
});
