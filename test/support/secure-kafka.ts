/**
 * The secured local broker (scripts/local-stack/secure-broker.sh: SASL_SSL on localhost:19092,
 * users admin / app / norights, a local CA) for the security tests: started when it is not
 * running (and then stopped by test/setup/secure-broker.ts after the run), its credentials, and
 * environments for each user with topic and group names unique to the test.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig, type Config } from '../../src/config.ts';
import { grantAcls, mergeAcls, requiredAcls, type AclCommand, type AclRule } from '../../src/kafka/acls.ts';
import type { Admin } from 'kafkajs';
import { createKafka, type KafkaClient } from '../../src/kafka/client.ts';
import { ensureTopics, topicSpecs } from '../../src/kafka/topics.ts';
import { kafkajs } from '../../src/kafka/load-kafkajs.ts';
import { brokerReachable } from '../../src/kafka/local-broker.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { testEnv } from './kafka.ts';
import { sleep } from './time.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
export const SECURE_DIR = join(root, '.local-stack', 'secure');
export const SECURE_BROKERS = 'localhost:19092';
export const STARTED_BY_TESTS = join(SECURE_DIR, 'started-by-tests');
export const CA_FILE = join(SECURE_DIR, 'tls', 'ca.pem');
export const CLIENT_CERT = join(SECURE_DIR, 'tls', 'client.pem');
export const CLIENT_KEY = join(SECURE_DIR, 'tls', 'client.key');
export const SERVER_CERT = join(SECURE_DIR, 'tls', 'broker.pem');
export const SERVER_KEY = join(SECURE_DIR, 'tls', 'broker.key');

export type SecureUser = 'admin' | 'app' | 'norights';

export interface SecureStack {
  passwords: Record<SecureUser, string>;
}

/** Starts the secured broker unless it runs (about 10 s, plus the certificates on the first start). */
export async function ensureSecureStack(): Promise<SecureStack> {
  if (!(await brokerReachable(SECURE_BROKERS.replace('localhost', '127.0.0.1')))) {
    await run('bash', ['scripts/local-stack/up.sh', '--secure'], { cwd: root, timeout: 300_000 });
    writeFileSync(STARTED_BY_TESTS, `${process.pid}\n`);
  }
  const creds = Object.fromEntries(
    readFileSync(join(SECURE_DIR, 'credentials.env'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('=', 2) as [string, string]),
  );
  return { passwords: { admin: creds.ADMIN_PASSWORD!, app: creds.APP_PASSWORD!, norights: creds.NORIGHTS_PASSWORD! } };
}

export function stopSecureStackIfTestsStartedIt(): Promise<unknown> | undefined {
  if (!existsSync(STARTED_BY_TESTS) || process.env.KEEP_LOCAL_STACK === '1') return undefined;
  return run('bash', ['scripts/local-stack/down.sh', '--secure'], { cwd: root, timeout: 60_000 });
}

/** The connection variables of a user, over SASL_SSL with SCRAM-SHA-512 unless `extra` says otherwise. */
export function secureConnection(stack: SecureStack, user: SecureUser, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: SECURE_BROKERS,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: CA_FILE,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD: stack.passwords[user],
    ...extra,
  };
}

/** A test environment (random topic and group names) on the secured broker, for one user. */
export function secureTestEnv(stack: SecureStack, user: SecureUser, extra: Record<string, string> = {}): Record<string, string> {
  return testEnv({ ...secureConnection(stack, user), ...extra });
}

/** The same names, another user (or other connection settings). */
export function asUser(env: Record<string, string>, stack: SecureStack, user: SecureUser, extra: Record<string, string> = {}): Record<string, string> {
  const names = Object.fromEntries(Object.entries(env).filter(([k]) => !/^KAFKA_(SSL|SASL|OAUTH|AWS)(_|$)/.test(k)));
  return { ...names, ...secureConnection(stack, user), ...extra };
}

/** The super user's client, for what a test prepares (topics, ACLs) and checks. */
export function adminKafka(stack: SecureStack, env: Record<string, string>): { config: Config; kafka: KafkaClient } {
  const config = loadConfig(asUser(env, stack, 'admin'));
  return { config, kafka: createKafka(config, silentLogger(), '-test-admin') };
}

/** Grants `User:<user>` what the commands need on the test's names, minus what `without` drops. */
export async function grantForTest(
  kafka: KafkaClient,
  config: Config,
  user: SecureUser,
  commands: readonly AclCommand[],
  without: (r: AclRule) => AclRule | undefined = (r) => r,
): Promise<AclRule[]> {
  const rules = mergeAcls(commands.flatMap((c) => requiredAcls(config, c))).flatMap((r) => without(r) ?? []);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await grantAcls(admin, `User:${user}`, rules);
    // The broker's authorizer holds them once DescribeAcls (answered from it) lists them all.
    const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;
    const want = rules.flatMap((r) => r.operations.map((op) => `${AclResourceTypes[r.resource]}|${r.name}|${ResourcePatternTypes[r.pattern]}|${AclOperationTypes[op]}`));
    for (let i = 0; i < 100; i++) {
      const { resources } = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, principal: `User:${user}`,
        host: '*', operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ALLOW,
      });
      const have = new Set(resources.flatMap((r) => r.acls.map((a) => `${r.resourceType}|${r.resourceName}|${r.resourcePatternType}|${a.operation}`)));
      if (want.every((w) => have.has(w))) break;
      await sleep(100);
    }
  } finally {
    await admin.disconnect();
  }
  return rules;
}

/** Removes what grantForTest granted (the ACLs of a test's random names would pile up in the broker). */
export async function revokeForTest(kafka: KafkaClient, user: SecureUser, rules: readonly AclRule[]): Promise<void> {
  const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteAcls({
      filters: rules.flatMap((r) => r.operations.map((op) => ({
        resourceType: AclResourceTypes[r.resource], resourceName: r.name, resourcePatternType: ResourcePatternTypes[r.pattern],
        principal: `User:${user}`, host: '*', operation: AclOperationTypes[op], permissionType: AclPermissionTypes.ALLOW,
      }))),
    });
  } finally {
    await admin.disconnect();
  }
}

export interface SecureTest {
  config: Config;
  /** The super user's client and its admin (connected). */
  admin: { config: Config; kafka: KafkaClient; client: Admin };
  /** Grants `app` what the commands need on the test's names, minus what `without` drops. */
  grant(commands: readonly AclCommand[], without?: (r: AclRule) => AclRule | undefined): Promise<void>;
  /** Revokes what was granted and deletes the test's topics. */
  cleanup(): Promise<void>;
}

/** The test's topics, created by the administrator (as on a managed cluster), and a way to grant `app` its rights. */
export async function prepareSecureTest(stack: SecureStack, env: Record<string, string>): Promise<SecureTest> {
  const config = loadConfig(env);
  const admin = adminKafka(stack, env);
  const client = admin.kafka.admin();
  await client.connect();
  await ensureTopics(client, topicSpecs(config));
  const granted: AclRule[] = [];
  return {
    config,
    admin: { ...admin, client },
    async grant(commands, without) {
      granted.push(...(await grantForTest(admin.kafka, admin.config, 'app', commands, without)));
    },
    async cleanup() {
      await revokeForTest(admin.kafka, 'app', granted).catch(() => undefined);
      await client.deleteTopics({ topics: topicSpecs(config).map((s) => s.topic) }).catch(() => undefined);
      await client.disconnect();
    },
  };
}
