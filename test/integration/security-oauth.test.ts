/**
 * OAUTHBEARER on the real secured broker, with tokens from a local OAuth token endpoint (the
 * client-credentials grant). The tokens live 35 s, so during the run the processor must replace
 * its token before it expires and re-authenticate its connections with the new one: documents
 * produced after the first token expired are still routed. No log line holds a token or the
 * client secret; a wrong client secret stops the start with one fatal line naming the setting.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { randomName, readTopics } from '../support/kafka.ts';
import { spawnCli, type Child } from '../support/processes.ts';
import { asUser, ensureSecureStack, prepareSecureTest, secureTestEnv } from '../support/secure-kafka.ts';
import { startTokenEndpoint, type TokenEndpoint } from '../support/token-endpoint.ts';
import { sleep } from '../support/time.ts';

const children: Child[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(children.map((c) => c.kill('SIGKILL')));
  for (const c of cleanups) await c().catch(() => undefined);
});

const LIFETIME_S = 35;

function oauthEnv(endpoint: TokenEndpoint, secret = endpoint.clientSecret): Record<string, string> {
  return {
    KAFKA_SASL_MECHANISM: 'oauthbearer',
    KAFKA_OAUTH_TOKEN_URL: endpoint.url,
    KAFKA_OAUTH_CLIENT_ID: endpoint.clientId,
    KAFKA_OAUTH_CLIENT_SECRET: secret,
    KAFKA_OAUTH_SCOPE: 'kafka',
  };
}

describe('OAUTHBEARER with a client-credentials token endpoint', () => {
  it('routes documents before and after the first token expired, and logs no token or secret', async () => {
    const stack = await ensureSecureStack();
    const endpoint = await startTokenEndpoint({ subject: 'app', lifetimeSeconds: LIFETIME_S });
    cleanups.push(() => endpoint.close());
    const names = secureTestEnv(stack, 'app');
    const env = { ...asUser(names, stack, 'app'), ...oauthEnv(endpoint), LOG_LEVEL: 'debug' };
    delete (env as Record<string, string | undefined>).KAFKA_SASL_USERNAME;
    delete (env as Record<string, string | undefined>).KAFKA_SASL_PASSWORD;
    // The administrator's client uses SCRAM; the token's sub is the principal: the same rights as SCRAM's user app.
    const t = await prepareSecureTest(stack, names);
    cleanups.push(() => t.cleanup());
    await t.grant(['start']);
    const { config, admin } = t;

    const producer = admin.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const before = corpusDocs(6, randomName('oa'));
    const after = corpusDocs(12, randomName('ob')).slice(6);
    await producer.send({ topic: config.topics.raw, messages: before.map(toMessage) });
    const t0 = Date.now();
    const processor = spawnCli(['start'], env, 'oauth-start');
    children.push(processor);
    const outputs = [config.topics.enriched, config.topics.review, config.topics.dlq];
    await readTopics(admin.kafka, outputs, { until: (r) => r.length >= before.length, timeoutMs: 120_000 });
    // Past the first token's end (it was fetched after t0): what is routed now went over re-authenticated connections.
    await sleep(Math.max(0, t0 + (LIFETIME_S + 2) * 1000 - Date.now()));
    await producer.send({ topic: config.topics.raw, messages: after.map(toMessage) });
    await producer.disconnect();
    const all = await readTopics(admin.kafka, outputs, { until: (r) => r.length >= before.length + after.length, timeoutMs: 120_000 });
    expect(all.map((r) => r.key).sort()).toEqual([...before, ...after].map((d) => d.id).sort());

    processor.proc.kill('SIGTERM');
    expect((await processor.exited).code).toBe(0);
    await processor.logged;
    expect(endpoint.issued.length).toBeGreaterThanOrEqual(2);
    expect(endpoint.refused).toBe(0);
    const lines = readFileSync(processor.logFile, 'utf8').split('\n').filter(Boolean);
    expect(lines.filter((l) => l.includes('Kafka OAuth token obtained')).length).toBeGreaterThanOrEqual(2);
    const secrets = [endpoint.clientSecret, ...endpoint.issued, ...endpoint.issued.map((t) => t.split('.')[1]!)];
    expect(lines.filter((l) => secrets.some((s) => l.includes(s)))).toEqual([]);
  }, 240_000);

  it('a wrong client secret: one fatal line naming the OAuth settings, exit 1', async () => {
    const stack = await ensureSecureStack();
    const endpoint = await startTokenEndpoint({ subject: 'app', lifetimeSeconds: LIFETIME_S });
    cleanups.push(() => endpoint.close());
    const env = { ...asUser(secureTestEnv(stack, 'app'), stack, 'app'), ...oauthEnv(endpoint, 'not-the-secret'), LOG_LEVEL: 'info' };
    delete (env as Record<string, string | undefined>).KAFKA_SASL_USERNAME;
    delete (env as Record<string, string | undefined>).KAFKA_SASL_PASSWORD;
    const child = spawnCli(['start'], env, 'oauth-bad-secret');
    children.push(child);
    const { code } = await child.exited;
    await child.logged;
    const text = readFileSync(child.logFile, 'utf8');
    const fatal = text.split('\n').filter((l) => l.includes('"level":"fatal"'));
    expect(code).toBe(1);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toContain('KAFKA_OAUTH_CLIENT_SECRET');
    expect(fatal[0]).toContain('answered 401 (invalid_client: client authentication failed)');
    expect(text).not.toContain('not-the-secret');
    expect(endpoint.refused).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
