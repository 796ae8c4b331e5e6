/**
 * Settings that can never work, against the real secured broker: `enricher start` runs as a
 * child process and must exit non-zero at start, within seconds (KafkaJS's own retries would
 * take over a minute), with ONE fatal line that names the cause and the setting, and no secret.
 * And the settings that do work, through the same start-up check and client factory: each SASL
 * mechanism, mutual TLS, and the unverified-TLS escape hatch (with its warning).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { checkKafkaConnection } from '../../src/kafka/connection-check.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { spawnCli } from '../support/processes.ts';
import { CLIENT_CERT, CLIENT_KEY, ensureSecureStack, secureConnection, secureTestEnv, type SecureStack } from '../support/secure-kafka.ts';

let stack: SecureStack;
beforeAll(async () => {
  stack = await ensureSecureStack();
});

interface Outcome {
  code: number | null;
  ms: number;
  lines: string[];
  fatal: { code?: string; setting?: string; msg: string }[];
}

async function run(args: string[], env: Record<string, string>, name: string): Promise<Outcome> {
  const t0 = Date.now();
  const child = spawnCli(args, { ...env, LOG_LEVEL: 'info' }, name);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 90_000);
  const { code } = await child.exited;
  clearTimeout(timer);
  const ms = Date.now() - t0;
  await child.logged;
  const lines = readFileSync(child.logFile, 'utf8').split('\n').filter(Boolean);
  const fatal = lines.filter((l) => l.includes('"level":"fatal"')).map((l) => JSON.parse(l) as Outcome['fatal'][number]);
  return { code, ms, lines, fatal };
}

/** The whole output holds none of the broker's passwords. */
function noSecret(o: Outcome, ...more: string[]): void {
  const secrets = [...Object.values(stack.passwords), ...more];
  expect(o.lines.filter((l) => secrets.some((s) => l.includes(s)))).toEqual([]);
}

/** A start-up refusal: exit 1 well before KafkaJS's retries would end, one fatal line naming the setting. */
function refusedAtStart(o: Outcome, setting: string, code: string): string {
  expect(o.code).toBe(1);
  expect(o.ms).toBeLessThan(60_000);
  expect(o.fatal).toHaveLength(1);
  expect(o.fatal[0]!.code).toBe(code);
  expect(o.fatal[0]!.msg).toContain(setting);
  noSecret(o);
  return o.fatal[0]!.msg;
}

describe('settings that cannot work stop `enricher start` at once, naming the setting', () => {
  it('wrong password, TLS without the CA, a host name the certificate lacks, plaintext to the TLS port, an untrusted client certificate, an unknown mechanism; and --help', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rogue-'));
    // A client certificate from a CA the broker does not trust.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=rogue', '-keyout', join(dir, 'rogue.key'), '-out', join(dir, 'rogue.pem')], { stdio: 'ignore' });
    const app = secureTestEnv(stack, 'app');
    // Side by side: each is a separate process, and most of its run is Node starting.
    const [wrongPassword, noCa, hostname, plaintext, rogueCert, mechanism, help] = await Promise.all([
      run(['start'], { ...app, KAFKA_SASL_PASSWORD: 'not-the-password' }, 'bad-password'),
      run(['start'], { ...app, KAFKA_SSL_CA_FILE: '' }, 'bad-no-ca'),
      run(['start'], { ...app, KAFKA_BROKERS: '127.0.0.1:19092' }, 'bad-hostname'),
      run(['start'], { ...app, KAFKA_SSL: '', KAFKA_SSL_CA_FILE: '' }, 'bad-plaintext'),
      run(['start'], { ...app, KAFKA_SSL_CERT_FILE: join(dir, 'rogue.pem'), KAFKA_SSL_KEY_FILE: join(dir, 'rogue.key') }, 'bad-client-cert'),
      run(['start'], { ...app, KAFKA_SASL_MECHANISM: 'gssapi' }, 'bad-mechanism'),
      run(['--help'], { ...app, KAFKA_OAUTH_CLIENT_SECRET: 'oauth-secret-in-env' }, 'help'),
    ]);
    const texts = {
      wrongPassword: refusedAtStart(wrongPassword, 'KAFKA_SASL_PASSWORD', 'KAFKA_AUTHENTICATION'),
      noCa: refusedAtStart(noCa, 'KAFKA_SSL_CA_FILE', 'KAFKA_TLS'),
      hostname: refusedAtStart(hostname, 'KAFKA_BROKERS', 'KAFKA_TLS'),
      plaintext: refusedAtStart(plaintext, 'KAFKA_SSL', 'KAFKA_TLS'),
      rogueCert: refusedAtStart(rogueCert, 'KAFKA_SSL_CERT_FILE', 'KAFKA_TLS'),
    };
    expect(texts.wrongPassword).toContain('user "app"');
    noSecret(wrongPassword, 'not-the-password');
    // An unknown mechanism is a bad config: exit 2 before connecting, naming the variable.
    expect(mechanism.code).toBe(2);
    expect(mechanism.lines.join('\n')).toContain('KAFKA_SASL_MECHANISM: Invalid option: expected one of "plain"|"scram-sha-256"|"scram-sha-512"|"oauthbearer" (got "gssapi")');
    noSecret(mechanism);
    expect(help.code).toBe(0);
    expect(help.lines.join('\n')).toContain('Usage: enricher');
    noSecret(help, 'oauth-secret-in-env');
    // What a user sees, and how long each took on this machine (all seven at once): for the README and the report.
    console.log(JSON.stringify(texts, null, 1));
    console.log(JSON.stringify({ wrongPassword: wrongPassword.ms, noCa: noCa.ms, hostname: hostname.ms, plaintext: plaintext.ms, rogueCert: rogueCert.ms, mechanism: mechanism.ms }));
  }, 180_000);
});

describe('the settings that work', () => {
  it('SCRAM-SHA-256, PLAIN, mutual TLS, and unverified TLS (with its warning) pass the start-up check and are answered', async () => {
    const app = secureConnection(stack, 'app');
    const cases = {
      scram256: { ...app, KAFKA_SASL_MECHANISM: 'scram-sha-256' },
      plain: { ...app, KAFKA_SASL_MECHANISM: 'PLAIN' },
      mtls: { ...app, KAFKA_SSL_CERT_FILE: CLIENT_CERT, KAFKA_SSL_KEY_FILE: CLIENT_KEY },
      unverified: { ...app, KAFKA_SSL_CA_FILE: '', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' },
    };
    for (const [name, env] of Object.entries(cases)) {
      const lines: string[] = [];
      const logger = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => { lines.push(String(c)); cb(); } }) });
      const config = loadConfig(env);
      await checkKafkaConnection(config, logger);
      const admin = createKafka(config, logger, '-test').admin();
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.disconnect();
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`), name).toEqual(['localhost:19092']);
      const warnings = lines.filter((l) => l.includes('"level":"warn"') && l.includes('KAFKA_SSL_REJECT_UNAUTHORIZED=false'));
      expect(warnings, name).toHaveLength(name === 'unverified' ? 1 : 0);
      expect(lines.filter((l) => Object.values(stack.passwords).some((p) => l.includes(p)))).toEqual([]);
    }
  }, 60_000);
});
