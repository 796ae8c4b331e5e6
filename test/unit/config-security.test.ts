import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTING_VARIABLES } from '../../src/config.ts';
import { kafkaConnectionEnv } from '../../src/processes/clients.ts';
import { configErrorMessage } from '../support/config-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'cfg-sec-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const configError = configErrorMessage;

describe('Kafka connection settings', () => {
  it('default to a plaintext connection without SASL', () => {
    const k = loadConfig({}).kafka;
    expect(k.ssl).toEqual({ enabled: false, caFile: undefined, certFile: undefined, keyFile: undefined, rejectUnauthorized: true });
    expect(k.sasl.mechanism).toBeUndefined();
    expect(k.oauth.tokenProvider).toBe('client-credentials');
  });

  it('parse TLS and SCRAM, the mechanism in any case', () => {
    const ca = file('ca.pem', PEM);
    const k = loadConfig({ KAFKA_SSL: 'TRUE', KAFKA_SSL_CA_FILE: ca, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'app', KAFKA_SASL_PASSWORD: 'pw-1234' }).kafka;
    expect(k.ssl.enabled).toBe(true);
    expect(k.ssl.caFile).toBe(ca);
    expect(k.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'app', password: 'pw-1234' });
  });

  it('read a secret from its _FILE variant (one trailing newline dropped), and refuse both at once', () => {
    const pw = file('pw', 's3cret-from-file\n');
    const id = file('id', 'client-7');
    const c = loadConfig({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: pw });
    expect(c.kafka.sasl.password).toBe('s3cret-from-file');
    const o = loadConfig({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN_URL: 'https://idp/token', KAFKA_OAUTH_CLIENT_ID_FILE: id, KAFKA_OAUTH_CLIENT_SECRET_FILE: pw });
    expect(o.kafka.oauth).toMatchObject({ clientId: 'client-7', clientSecret: 's3cret-from-file' });
    const both = configError({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'inline-pw', KAFKA_SASL_PASSWORD_FILE: pw });
    expect(both).toContain('KAFKA_SASL_PASSWORD_FILE: set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both');
    expect(configError({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing') })).toContain('KAFKA_SASL_PASSWORD_FILE: cannot read');
  });

  it('name what each mechanism needs', () => {
    expect(configError({ KAFKA_SASL_MECHANISM: 'scram-sha-256' })).toMatch(/KAFKA_SASL_USERNAME: required[^\n]*\n\s+KAFKA_SASL_PASSWORD: required/);
    const oauth = configError({ KAFKA_SASL_MECHANISM: 'oauthbearer' });
    for (const n of ['KAFKA_OAUTH_TOKEN_URL', 'KAFKA_OAUTH_CLIENT_ID', 'KAFKA_OAUTH_CLIENT_SECRET']) expect(oauth).toContain(`${n}: required`);
    expect(configError({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN_PROVIDER: 'aws-msk-iam' })).toContain('KAFKA_AWS_REGION: required');
    expect(loadConfig({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN_PROVIDER: 'aws-msk-iam', KAFKA_AWS_REGION: 'eu-west-1' }).kafka.oauth.awsRegion).toBe('eu-west-1');
    expect(configError({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toContain('KAFKA_SASL_MECHANISM: required');
    expect(configError({ KAFKA_OAUTH_TOKEN_URL: 'https://idp/token' })).toContain('KAFKA_OAUTH_TOKEN_URL: only apply with KAFKA_SASL_MECHANISM=oauthbearer');
    expect(configError({ KAFKA_SASL_MECHANISM: 'gssapi' })).toContain('KAFKA_SASL_MECHANISM: Invalid option: expected one of "plain"|"scram-sha-256"|"scram-sha-512"|"oauthbearer" (got "gssapi")');
  });

  it('parse SASL extensions and refuse malformed ones', () => {
    const c = loadConfig({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN_URL: 'https://idp/token', KAFKA_OAUTH_CLIENT_ID: 'c', KAFKA_OAUTH_CLIENT_SECRET: 's', KAFKA_OAUTH_EXTENSIONS: 'logicalCluster=lkc-1, identityPoolId=pool-a=b' });
    expect(c.kafka.oauth.extensions).toEqual({ logicalCluster: 'lkc-1', identityPoolId: 'pool-a=b' });
    expect(configError({ KAFKA_OAUTH_EXTENSIONS: 'no-equals' })).toContain('KAFKA_OAUTH_EXTENSIONS: expected key=value pairs');
    expect(configError({ KAFKA_OAUTH_EXTENSIONS: 'auth=x' })).toContain('(not "auth")');
  });

  it('check the TLS options and files: KAFKA_SSL on, both halves of mutual TLS, readable PEM files', () => {
    const ca = file('ca2.pem', PEM);
    expect(configError({ KAFKA_SSL_CA_FILE: ca })).toContain('KAFKA_SSL_CA_FILE: only applies with KAFKA_SSL=true');
    expect(configError({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: ca })).toContain('mutual TLS needs both the certificate and its key');
    expect(configError({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: file('notpem', 'hello') })).toContain('is not a PEM file');
    expect(configError({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'nope.pem') })).toMatch(/KAFKA_SSL_CA_FILE: cannot read "[^"]*nope.pem" \(ENOENT\)/);
    expect(configError({ KAFKA_SSL: 'maybe' })).toContain('KAFKA_SSL');
    expect(loadConfig({ KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }).kafka.ssl.rejectUnauthorized).toBe(false);
  });

  it('REDIS_TLS_CA_FILE needs rediss://', () => {
    const ca = file('redis-ca.pem', PEM);
    expect(configError({ REDIS_URL: 'redis://h:6379', REDIS_TLS_CA_FILE: ca })).toContain('REDIS_TLS_CA_FILE: needs a rediss:// REDIS_URL');
    expect(loadConfig({ REDIS_URL: 'rediss://u:p@h:6380', REDIS_TLS_CA_FILE: ca }).llm.redisTlsCaFile).toBe(ca);
  });

  it('never echo a secret in a ConfigError, and show REDIS_URL without its credentials', () => {
    const msg = configError({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'pw-secret-1', KAFKA_OAUTH_CLIENT_SECRET: 'oauth-secret-2', LLM_PROVIDER: 'bad', OPENAI_API_KEY: 'sk-secret-3', REDIS_URL: 'redis://user:redis-secret-4@h:99999' });
    for (const n of ['KAFKA_OAUTH_CLIENT_SECRET', 'REDIS_URL', 'LLM_PROVIDER']) expect(msg).toContain(`${n}:`);
    for (const s of ['pw-secret-1', 'oauth-secret-2', 'sk-secret-3', 'redis-secret-4']) expect(msg).not.toContain(s);
  });

  it('list the _FILE variants among the variables, and pass a cluster\'s connection on to children', () => {
    for (const n of ['KAFKA_SASL_PASSWORD_FILE', 'KAFKA_SASL_USERNAME_FILE', 'KAFKA_OAUTH_CLIENT_ID_FILE', 'KAFKA_OAUTH_CLIENT_SECRET_FILE']) expect(SETTING_VARIABLES).toContain(n);
    expect(kafkaConnectionEnv({ KAFKA_BROKERS: 'b:1', KAFKA_SSL: 'true', KAFKA_SASL_PASSWORD_FILE: '/x', KAFKA_GROUP_ID: 'g', PATH: '/bin', KAFKA_SSL_CA_FILE: '' })).toEqual({ KAFKA_BROKERS: 'b:1', KAFKA_SSL: 'true', KAFKA_SASL_PASSWORD_FILE: '/x' });
  });
});
