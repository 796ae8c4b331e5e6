/**
 * Settings that can never work, against the real secured broker: `enricher start` runs as a
 * child process and must exit non-zero at start, within seconds (KafkaJS's own retries would
 * take over a minute), with ONE fatal line that names the cause and the setting, and no secret.
 * And the settings that do work: each SASL mechanism, mutual TLS, and the unverified-TLS escape
 * hatch (with its warning).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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
  it('wrong password, TLS without the CA, a host name the certificate lacks, plaintext to the TLS port, an untrusted client certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rogue-'));
    // A client certificate from a CA the broker does not trust.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=rogue', '-keyout', join(dir, 'rogue.key'), '-out', join(dir, 'rogue.pem')], { stdio: 'ignore' });
    const app = secureTestEnv(stack, 'app');
    const [wrongPassword, noCa, hostname, plaintext, rogueCert] = await Promise.all([
      run(['start'], { ...app, KAFKA_SASL_PASSWORD: 'not-the-password' }, 'bad-password'),
      run(['start'], { ...app, KAFKA_SSL_CA_FILE: '' }, 'bad-no-ca'),
      run(['start'], { ...app, KAFKA_BROKERS: '127.0.0.1:19092' }, 'bad-hostname'),
      run(['start'], { ...app, KAFKA_SSL: '', KAFKA_SSL_CA_FILE: '' }, 'bad-plaintext'),
      run(['start'], { ...app, KAFKA_SSL_CERT_FILE: join(dir, 'rogue.pem'), KAFKA_SSL_KEY_FILE: join(dir, 'rogue.key') }, 'bad-client-cert'),
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
    // What a user sees (and the seconds it took on this machine): printed for the README and the report.
    console.log(JSON.stringify(Object.fromEntries(Object.entries(texts).map(([k, v]) => [k, v])), null, 1));
    console.log(JSON.stringify({ wrongPassword: wrongPassword.ms, noCa: noCa.ms, hostname: hostname.ms, plaintext: plaintext.ms, rogueCert: rogueCert.ms }));
  }, 180_000);

  it('an unknown mechanism is a bad config: exit 2 before connecting, naming KAFKA_SASL_MECHANISM', async () => {
    const o = await run(['start'], { ...secureTestEnv(stack, 'app'), KAFKA_SASL_MECHANISM: 'gssapi' }, 'bad-mechanism');
    expect(o.code).toBe(2);
    expect(o.lines.join('\n')).toContain('KAFKA_SASL_MECHANISM: Invalid option: expected one of "plain"|"scram-sha-256"|"scram-sha-512"|"oauthbearer" (got "gssapi")');
    noSecret(o);
  });

  it('--help shows no secret, whatever the environment holds', async () => {
    const o = await run(['--help'], { ...secureTestEnv(stack, 'app'), KAFKA_OAUTH_CLIENT_SECRET: 'oauth-secret-in-env' }, 'help');
    expect(o.code).toBe(0);
    expect(o.lines.join('\n')).toContain('Usage: enricher');
    noSecret(o, 'oauth-secret-in-env');
  });
});

describe('the settings that work', () => {
  it('SCRAM-SHA-256, PLAIN, mutual TLS, and unverified TLS (with a warning)', async () => {
    // The default names, on which the stack granted `app` the README's rights.
    const app = secureConnection(stack, 'app');
    const [scram256, plain, mtls, unverified] = await Promise.all([
      run(['config', 'get'], { ...app, KAFKA_SASL_MECHANISM: 'scram-sha-256' }, 'ok-scram256'),
      run(['config', 'get'], { ...app, KAFKA_SASL_MECHANISM: 'PLAIN' }, 'ok-plain'),
      run(['config', 'get'], { ...app, KAFKA_SSL_CERT_FILE: CLIENT_CERT, KAFKA_SSL_KEY_FILE: CLIENT_KEY }, 'ok-mtls'),
      run(['config', 'get'], { ...app, KAFKA_SSL_CA_FILE: '', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }, 'ok-unverified'),
    ]);
    for (const o of [scram256, plain, mtls, unverified]) {
      expect(o.code).toBe(0);
      expect(o.lines.join('\n')).toContain('quality_threshold');
      expect(o.fatal).toEqual([]);
      noSecret(o);
    }
    expect(unverified.lines.filter((l) => l.includes('"level":"warn"') && l.includes('KAFKA_SSL_REJECT_UNAUTHORIZED=false'))).toHaveLength(1);
  }, 120_000);
});
