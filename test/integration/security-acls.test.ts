/**
 * Missing ACLs on the real secured broker (StandardAuthorizer). The processor must name the
 * topic or group and the operation it was refused, exit non-zero, and lose nothing: a commit
 * refused for lack of WRITE is aborted (no output, no offset), and once the right is granted a
 * restart routes every document exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { AclRule } from '../../src/kafka/acls.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { randomName, readTopics } from '../support/kafka.ts';
import { spawnCli, type Child } from '../support/processes.ts';
import { asUser, ensureSecureStack, prepareSecureTest, secureTestEnv, type SecureStack } from '../support/secure-kafka.ts';

const children: Child[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(children.map((c) => c.kill('SIGKILL')));
  for (const c of cleanups) await c().catch(() => undefined);
});

async function fatalRun(env: Record<string, string>, name: string): Promise<{ code: number | null; fatal: { code: string; msg: string }[]; all: string }> {
  const child = spawnCli(['start'], { ...env, LOG_LEVEL: 'info' }, name);
  children.push(child);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 120_000);
  const { code } = await child.exited;
  clearTimeout(timer);
  await child.logged;
  const { readFileSync } = await import('node:fs');
  const all = readFileSync(child.logFile, 'utf8');
  const fatal = all.split('\n').filter((l) => l.includes('"level":"fatal"')).map((l) => JSON.parse(l) as { code: string; msg: string });
  return { code, fatal, all };
}

/** The test's topics (QUALITY_THRESHOLD=0 sends every document to the enriched topic), removed afterwards. */
async function prepare(stack: SecureStack) {
  // A short session: a process that exited on a refusal left its group without saying so, and the next start waits that long for it.
  const env = secureTestEnv(stack, 'app', { QUALITY_THRESHOLD: '0', KAFKA_SESSION_TIMEOUT: '6s', KAFKA_HEARTBEAT_INTERVAL: '1s' });
  const t = await prepareSecureTest(stack, env);
  cleanups.push(() => t.cleanup());
  const grant = (without?: (r: AclRule) => AclRule | undefined) => t.grant(['start'], without);
  return { env, config: t.config, admin: t.admin, client: t.admin.client, grant };
}

describe('missing rights are named, and lose nothing', () => {
  it('a user without rights, then one without WRITE on the enriched topic, then the README\'s rights: every document once', async () => {
    const stack = await ensureSecureStack();
    const { env, config, admin, client, grant } = await prepare(stack);
    const docs = corpusDocs(12, randomName('acl'));
    const producer = admin.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: config.topics.raw, messages: docs.map(toMessage) });
    await producer.disconnect();

    // 1. No rights at all: it cannot even see the topics; it says so and stops before reading anything.
    const none = await fatalRun(asUser(env, stack, 'norights'), 'acl-norights');
    expect(none.code).toBe(1);
    expect(none.fatal).toHaveLength(1);
    expect(none.fatal[0]!.code).toBe('KAFKA_NOT_AUTHORIZED');
    expect(none.fatal[0]!.msg).toContain('user "norights" is not authorized to CREATE topics');
    expect(none.fatal[0]!.msg).toContain(`"${config.topics.raw}"`);

    // 2. Everything but WRITE on the enriched topic (QUALITY_THRESHOLD=0 sends every document there).
    await grant((r) => (r.name === config.topics.enriched ? { ...r, operations: ['DESCRIBE'] } : r));
    const noWrite = await fatalRun(env, 'acl-no-write');
    expect(noWrite.code).toBe(1);
    expect(noWrite.fatal).toHaveLength(1);
    expect(noWrite.fatal[0]!.msg).toContain(`user "app" is not authorized to WRITE topic "${config.topics.enriched}"`);
    expect(noWrite.all).toContain('"msg":"routed"'); // it did process documents: the refusal came at the commit
    // The refused transactions were aborted: no output is visible and no offset was committed.
    const offsets = await client.fetchOffsets({ groupId: config.kafka.groupId, topics: [config.topics.raw] });
    expect(offsets[0]!.partitions.map((p) => p.offset)).toEqual(offsets[0]!.partitions.map(() => '-1'));
    const outputs = [config.topics.enriched, config.topics.review, config.topics.dlq];
    expect(await readTopics(admin.kafka, outputs, { quietMs: 1500, timeoutMs: 10_000 })).toEqual([]);

    // 3. The right granted, the same processor starts again: every document, exactly once.
    await grant((r) => (r.name === config.topics.enriched ? r : undefined));
    const fixed = spawnCli(['start'], { ...env, LOG_LEVEL: 'info' }, 'acl-fixed');
    children.push(fixed);
    await readTopics(admin.kafka, outputs, { until: (r) => new Set(r.map((x) => x.key)).size >= docs.length, timeoutMs: 120_000 });
    const all = await readTopics(admin.kafka, outputs, { minCount: docs.length, quietMs: 2000 });
    expect(all.map((r) => r.key).sort()).toEqual(docs.map((d) => d.id).sort());
    fixed.proc.kill('SIGTERM');
    expect((await fixed.exited).code).toBe(0);
  }, 300_000);

  it('a transaction over several topics names the one refused (in either order) and leaves nothing visible', async () => {
    const stack = await ensureSecureStack();
    const { env, config, admin, grant } = await prepare(stack);
    await grant((r) => (r.name === config.topics.enriched ? { ...r, operations: ['DESCRIBE'] } : r));
    const kafka = createKafka(loadConfig(env), silentLogger(), '-test-app');
    const producer = kafka.producer({ transactionalId: `${config.kafka.groupId}.tx.probe`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const m = [{ key: 'k', value: 'v' }];
      for (const order of [[config.topics.review, config.topics.enriched], [config.topics.enriched, config.topics.review]]) {
        const tx = await producer.transaction();
        const sent = tx.sendBatch({ topicMessages: order.map((topic) => ({ topic, messages: m })) });
        await expect(sent).rejects.toThrow(`user "app" is not authorized to WRITE topic "${config.topics.enriched}";`);
        expect(tx.isActive()).toBe(false); // aborted by the guard
      }
    } finally {
      await producer.disconnect();
    }
    expect(await readTopics(admin.kafka, [config.topics.review, config.topics.enriched], { quietMs: 1500, timeoutMs: 10_000 })).toEqual([]);
  }, 120_000);

  it('no WRITE on its transactional ids: named with the id, once a partition is to be committed', async () => {
    const stack = await ensureSecureStack();
    const { env, config, admin, grant } = await prepare(stack);
    const producer = admin.kafka.producer();
    await producer.connect();
    await producer.send({ topic: config.topics.raw, messages: corpusDocs(2, randomName('tx')).map(toMessage) });
    await producer.disconnect();
    await grant((r) => (r.resource === 'TRANSACTIONAL_ID' ? undefined : r));
    const run = await fatalRun(env, 'acl-no-txid');
    expect(run.code).toBe(1);
    expect(run.fatal).toHaveLength(1);
    expect(run.fatal[0]!.msg).toMatch(new RegExp(`user "app" is not authorized to WRITE transactional id "${config.kafka.groupId.replace(/[.]/g, '\\.')}\\.tx\\.[^"]+"`));
  }, 180_000);

  it('no READ on its groups: named with the group and the operation', async () => {
    const stack = await ensureSecureStack();
    const { env, config, grant } = await prepare(stack);
    await grant((r) => (r.resource === 'GROUP' ? undefined : r));
    const run = await fatalRun(env, 'acl-no-group');
    expect(run.code).toBe(1);
    expect(run.fatal).toHaveLength(1);
    expect(run.fatal[0]!.msg).toMatch(new RegExp(`user "app" is not authorized to READ group "${config.kafka.groupId.replace(/[.]/g, '\\.')}[^"]*"`));
  }, 180_000);
});
