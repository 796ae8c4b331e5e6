import { afterAll, describe, expect, it } from 'vitest';
import { clientCredentialsSource, createRefreshingTokenProvider, jwtExpiry, OAuthTokenError, type BearerToken } from '../../src/kafka/oauth-token.ts';
import { loadMskIamSigner, mskIamTokenSource, type MskIamSigner } from '../../src/kafka/msk-iam.ts';
import { kafkaSaslOptions } from '../../src/kafka/security.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { freePort } from '../support/ports.ts';
import { startTokenEndpoint, type TokenEndpoint } from '../support/token-endpoint.ts';

/** A source that counts its calls and hands out tokens of `lifetimeMs` on a fake clock. */
function countingSource(clock: { now: number }, lifetimeMs: number) {
  const calls: number[] = [];
  let fail: Error | undefined;
  const source = async (): Promise<BearerToken> => {
    calls.push(clock.now);
    if (fail) throw fail;
    return { value: `tok-${calls.length}`, expiresAt: clock.now + lifetimeMs };
  };
  return { source, calls, failWith: (e: Error | undefined) => (fail = e) };
}

describe('the refreshing token provider', () => {
  it('shares one token until 80 % of its life, then replaces it before it expires', async () => {
    const clock = { now: 0 };
    const s = countingSource(clock, 600_000);
    const get = createRefreshingTokenProvider({ source: s.source, minValidityMs: 30_000, logger: silentLogger(), now: () => clock.now });
    expect((await get()).value).toBe('tok-1');
    clock.now = 479_000;
    expect((await get()).value).toBe('tok-1');
    clock.now = 481_000; // past 80 % of 600 s, 119 s before the end
    expect((await get()).value).toBe('tok-2');
    expect(s.calls).toEqual([0, 481_000]);
  });

  it('never hands out a token with less than minValidityMs left (KafkaJS would re-authenticate on every request)', async () => {
    const clock = { now: 0 };
    const s = countingSource(clock, 40_000); // shorter than minValidity + 20 %
    const get = createRefreshingTokenProvider({ source: s.source, minValidityMs: 30_000, logger: silentLogger(), now: () => clock.now });
    await get();
    clock.now = 11_000;
    expect((await get()).value).toBe('tok-2');
  });

  it('asks the source once for concurrent callers', async () => {
    const clock = { now: 0 };
    const s = countingSource(clock, 600_000);
    const get = createRefreshingTokenProvider({ source: s.source, minValidityMs: 30_000, logger: silentLogger(), now: () => clock.now });
    const got = await Promise.all([get(), get(), get(), get()]);
    expect(new Set(got.map((t) => t.value))).toEqual(new Set(['tok-1']));
    expect(s.calls).toHaveLength(1);
  });

  it('keeps a token that still works when a refresh fails, asks again 5 s later, and fails once it has none', async () => {
    const clock = { now: 0 };
    const s = countingSource(clock, 100_000);
    const get = createRefreshingTokenProvider({ source: s.source, minValidityMs: 10_000, logger: silentLogger(), now: () => clock.now });
    await get();
    s.failWith(new OAuthTokenError('endpoint down', { retriable: true, setting: 'KAFKA_OAUTH_TOKEN_URL' }));
    clock.now = 85_000;
    expect((await get()).value).toBe('tok-1');
    clock.now = 87_000;
    expect((await get()).value).toBe('tok-1');
    expect(s.calls).toHaveLength(2); // not asked again within 5 s
    clock.now = 99_500;
    await expect(get()).rejects.toThrow('endpoint down');
  });

  it('passes the SASL extensions along', async () => {
    const clock = { now: 0 };
    const get = createRefreshingTokenProvider({ source: countingSource(clock, 600_000).source, minValidityMs: 1, extensions: { logicalCluster: 'lkc-1' }, logger: silentLogger(), now: () => clock.now });
    expect(await get()).toEqual({ value: 'tok-1', extensions: { logicalCluster: 'lkc-1' } });
  });
});

describe('the client-credentials source, against a local token endpoint', () => {
  let endpoint: TokenEndpoint;
  afterAll(() => endpoint?.close());

  it('fetches a token with HTTP Basic client authentication and reads its lifetime', async () => {
    endpoint = await startTokenEndpoint({ subject: 'app', lifetimeSeconds: 300 });
    const t0 = Date.now();
    const t = await clientCredentialsSource({ tokenUrl: endpoint.url, clientId: endpoint.clientId, clientSecret: endpoint.clientSecret, scope: 'kafka' })();
    expect(t.value).toBe(endpoint.issued[0]);
    expect(t.expiresAt).toBeGreaterThanOrEqual(t0 + 299_000);
    expect(jwtExpiry(t.value)).toBeGreaterThan(t0);
  });

  it('a refused client is a non-retriable error naming the settings, without the secret', async () => {
    const err = await clientCredentialsSource({ tokenUrl: endpoint.url, clientId: endpoint.clientId, clientSecret: 'wrong-secret-123' })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthTokenError);
    expect((err as OAuthTokenError).retriable).toBe(false);
    expect((err as Error).message).toContain('answered 401 (invalid_client: client authentication failed): check KAFKA_OAUTH_CLIENT_ID, KAFKA_OAUTH_CLIENT_SECRET');
    expect((err as Error).message).not.toContain('wrong-secret-123');
  });

  it('an endpoint nobody answers is retriable', async () => {
    const port = await freePort();
    const err = await clientCredentialsSource({ tokenUrl: `http://127.0.0.1:${port}/token`, clientId: 'c', clientSecret: 's' })().catch((e: unknown) => e);
    expect((err as OAuthTokenError).retriable).toBe(true);
    expect((err as Error).message).toContain(`cannot reach the OAuth token endpoint http://127.0.0.1:${port}/token (KAFKA_OAUTH_TOKEN_URL): ECONNREFUSED`);
  });
});

describe('the Amazon MSK IAM hook', () => {
  const fakeSigner = (calls: { region: string }[]): MskIamSigner => ({
    async generateAuthToken(o) {
      calls.push(o);
      return { token: `signed-url-${calls.length}`, expiryTime: Date.now() + 900_000 };
    },
  });

  it('turns the signer\'s token into an OAUTHBEARER token, through the provider KafkaJS gets', async () => {
    const calls: { region: string }[] = [];
    const config = loadConfig({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN_PROVIDER: 'aws-msk-iam', KAFKA_AWS_REGION: 'eu-west-1' });
    const sasl = kafkaSaslOptions(config.kafka, silentLogger(), { mskIamSigner: async () => fakeSigner(calls) });
    expect(sasl?.mechanism).toBe('oauthbearer');
    const provider = (sasl as { oauthBearerProvider: () => Promise<{ value: string }> }).oauthBearerProvider;
    expect(await provider()).toEqual({ value: 'signed-url-1' });
    expect(await provider()).toEqual({ value: 'signed-url-1' }); // 15 minutes: reused
    expect(calls).toEqual([{ region: 'eu-west-1' }]);
  });

  it('a signer failure is retriable; a missing package says what to install', async () => {
    const failing = mskIamTokenSource('us-east-1', async () => ({ generateAuthToken: async () => { throw new Error('Could not load credentials from any providers'); } }));
    const err = await failing().catch((e: unknown) => e);
    expect((err as OAuthTokenError).retriable).toBe(true);
    expect((err as Error).message).toContain('could not make a token for region us-east-1: Could not load credentials');
    const missing = await loadMskIamSigner(async () => { throw new Error('Cannot find package'); }).catch((e: unknown) => e);
    expect((missing as OAuthTokenError).retriable).toBe(false);
    expect((missing as Error).message).toBe('KAFKA_OAUTH_TOKEN_PROVIDER=aws-msk-iam needs the package aws-msk-iam-sasl-signer-js: run `npm install aws-msk-iam-sasl-signer-js` next to the service');
    const loaded = await loadMskIamSigner(async () => ({ default: fakeSigner([]) }));
    expect((await loaded.generateAuthToken({ region: 'r' })).token).toBe('signed-url-1');
  });
});
