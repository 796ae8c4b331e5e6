/**
 * How a failed connection or a refused operation reads, from errors built with KafkaJS's own
 * error classes in the shapes it throws them (the real broker's answers are covered by the
 * security integration tests; these pin down every branch).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { SetupError } from '../../src/errors.ts';
import { accessDenied } from '../../src/kafka/access-guard.ts';
import { connectionWarnings, judgeConnectionFailure } from '../../src/kafka/connection-check.ts';
import { deniedResource, isAuthorizationError } from '../../src/kafka/error-kinds.ts';
import { kafkajs } from '../../src/kafka/load-kafkajs.ts';
import { OAuthTokenError } from '../../src/kafka/oauth-token.ts';
import { judgeRedisFailure } from '../../src/llm/redis-client.ts';
import { tlsFix } from '../../src/util/tls-errors.ts';

const k = kafkajs as unknown as Record<string, new (...a: unknown[]) => Error>;
const scram = loadConfig({ KAFKA_BROKERS: 'kafka-1:9093', KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'app', KAFKA_SASL_PASSWORD: 'pw-very-secret' });
const retriesExceeded = (e: Error) => new k.KafkaJSNumberOfRetriesExceeded!(e, { retryCount: 0, retryTime: 300 });
const connectionError = (message: string, code: string) => new k.KafkaJSConnectionError!(`Connection error: ${message}`, { broker: 'kafka-1:9093', code });

function setup(e: unknown, config = scram): SetupError {
  const v = judgeConnectionFailure(e, config);
  expect(v.kind).toBe('setup');
  return (v as { error: SetupError }).error;
}

describe('judging a failed start-up connection', () => {
  it('refused credentials name the user and the settings, never the password', () => {
    const e = setup(new k.KafkaJSSASLAuthenticationError!('SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512'));
    expect(e.code).toBe('KAFKA_AUTHENTICATION');
    expect(e.setting).toBe('KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD');
    expect(e.message).toBe('Kafka at kafka-1:9093 refused the SASL SCRAM-SHA-512 login of user "app" (Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512): check KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD');
    const echoing = setup(new k.KafkaJSSASLAuthenticationError!('SASL PLAIN authentication failed: bad password pw-very-secret'));
    expect(echoing.message).not.toContain('pw-very-secret');
  });

  it('a mechanism the broker does not offer names KAFKA_SASL_MECHANISM', () => {
    const e = setup(new k.KafkaJSSASLAuthenticationError!('SASL SCRAM-SHA-512 mechanism is not supported by the server'));
    expect(e.setting).toBe('KAFKA_SASL_MECHANISM');
    expect(e.message).toBe('Kafka at kafka-1:9093 does not offer SASL mechanism SCRAM-SHA-512: set KAFKA_SASL_MECHANISM to one the cluster enables');
  });

  it('TLS: an untrusted CA, a host name mismatch, an expired certificate, a refused client certificate', () => {
    expect(setup(retriesExceeded(connectionError('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'))).setting).toBe('KAFKA_SSL_CA_FILE');
    expect(setup(connectionError('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')).setting).toBe('KAFKA_SSL_CA_FILE');
    expect(setup(connectionError("Hostname/IP does not match certificate's altnames: IP: 10.0.0.1 is not in the cert's list", 'ERR_TLS_CERT_ALTNAME_INVALID')).setting).toBe('KAFKA_BROKERS');
    expect(setup(connectionError('certificate has expired', 'CERT_HAS_EXPIRED')).message).toContain('expired or not yet valid');
    expect(setup(connectionError('ssl/tls alert certificate unknown', 'ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_UNKNOWN')).setting).toBe('KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE');
    expect(setup(connectionError('tlsv13 alert certificate required', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')).setting).toBe('KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE');
  });

  it('a connection dropped during setup is asked again before it is blamed on KAFKA_SSL / KAFKA_SASL_MECHANISM', () => {
    const plaintext = loadConfig({ KAFKA_BROKERS: 'kafka-1:9093' });
    const v = judgeConnectionFailure(new k.KafkaJSConnectionClosedError!('Closed connection', { host: 'kafka-1', port: 9093 }), plaintext);
    expect(v.kind).toBe('dropped');
    expect((v as { error: SetupError }).error.message).toBe('Kafka at kafka-1:9093 closed the connection during setup: the listener may expect TLS (KAFKA_SSL=true) or SASL (KAFKA_SASL_MECHANISM) that this client does not use');
    expect(judgeConnectionFailure(connectionError('Client network socket disconnected before secure TLS connection was established', 'ECONNRESET'), scram).kind).toBe('dropped');
  });

  it('nobody answering is an outage, not a setting', () => {
    expect(judgeConnectionFailure(retriesExceeded(connectionError('connect ECONNREFUSED 10.0.0.1:9093', 'ECONNREFUSED')), scram).kind).toBe('unreachable');
    expect(judgeConnectionFailure(new k.KafkaJSConnectionError!('Connection timeout', { broker: 'kafka-1:9093' }), scram).kind).toBe('unreachable');
    expect(judgeConnectionFailure(new OAuthTokenError('cannot reach the OAuth token endpoint', { retriable: true, setting: 'KAFKA_OAUTH_TOKEN_URL' }), scram).kind).toBe('unreachable');
  });

  it('a refused OAuth client is a setup error naming the OAuth settings', () => {
    const e = setup(new OAuthTokenError('the OAuth token endpoint https://idp/token answered 401', { retriable: false, setting: 'KAFKA_OAUTH_CLIENT_ID / KAFKA_OAUTH_CLIENT_SECRET' }));
    expect(e.message).toBe('Kafka OAuth token: the OAuth token endpoint https://idp/token answered 401');
  });

  it('warns about unverified TLS and about passwords or tokens in clear text', () => {
    expect(connectionWarnings(loadConfig({ KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }).kafka)[0]).toContain('KAFKA_SSL_REJECT_UNAUTHORIZED=false');
    expect(connectionWarnings(loadConfig({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }).kafka)[0]).toContain('the password crosses the network in clear text');
    expect(connectionWarnings(scram.kafka)).toEqual([]);
  });
});

describe('naming a refused operation', () => {
  const protocolError = (type: string, message: string) => Object.assign(new k.KafkaJSProtocolError!(message), { type });

  it('reads the resource kind through KafkaJS\'s wrappers and aggregates', () => {
    const topic = new k.KafkaJSNonRetriableError!(protocolError('TOPIC_AUTHORIZATION_FAILED', 'Not authorized to access topics: [Topic authorization failed]'));
    expect(isAuthorizationError(topic)).toBe(true);
    expect(deniedResource(topic)).toEqual({ resource: 'topic', topics: [] });
    const created = new k.KafkaJSAggregateError!('Topic creation errors', [new k.KafkaJSCreateTopicError!(protocolError('TOPIC_AUTHORIZATION_FAILED', 'Not authorized to access topics: [Topic authorization failed]'), 'documents.raw')]);
    expect(deniedResource(created)).toEqual({ resource: 'topic', topics: ['documents.raw'] });
    expect(deniedResource(new k.KafkaJSNonRetriableError!(protocolError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'Transactional Id authorization failed')))?.resource).toBe('transactional id');
    expect(deniedResource(protocolError('CLUSTER_AUTHORIZATION_FAILED', 'Cluster authorization failed'))?.resource).toBe('cluster');
    expect(isAuthorizationError(new Error('The producer attempted to use a producer id which is fenced'))).toBe(false);
  });

  it('says who was refused what, on which topic, group or transactional id', () => {
    const group = accessDenied(protocolError('GROUP_AUTHORIZATION_FAILED', 'Not authorized to access group: Group authorization failed'), { group: { operation: 'READ', name: 'llm-enricher' } }, 'user "app"');
    expect(group.message).toBe('Kafka refused: user "app" is not authorized to READ group "llm-enricher"; grant it with an ACL (`enricher acls` prints every right each command needs)');
    expect(group.setting).toBe('ACL: READ group "llm-enricher"');
    const write = accessDenied(protocolError('TOPIC_AUTHORIZATION_FAILED', 'x'), { topics: { operation: 'WRITE', names: ['documents.enriched'] } }, 'user "app"');
    expect(write.setting).toBe('ACL: WRITE topic "documents.enriched"');
    const tx = accessDenied(protocolError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'x'), { transactionalId: 'llm-enricher.tx.documents.raw.0' }, 'user "app"');
    expect(tx.setting).toBe('ACL: WRITE transactional id "llm-enricher.tx.documents.raw.0"');
    const idem = accessDenied(protocolError('CLUSTER_AUTHORIZATION_FAILED', 'x'), {}, 'user "app"');
    expect(idem.setting).toBe('ACL: IDEMPOTENT_WRITE on the cluster (or WRITE on any topic)');
    expect(accessDenied(new Error('wrapped', { cause: group }), {}, 'x')).toBe(group); // named once, kept as it is
  });
});

describe('TLS and Redis failures', () => {
  it('reads Node\'s TLS codes', () => {
    expect(tlsFix('DEPTH_ZERO_SELF_SIGNED_CERT')).toBe('trust-ca');
    expect(tlsFix(undefined, "Hostname/IP does not match certificate's altnames")).toBe('hostname');
    expect(tlsFix('ECONNREFUSED')).toBeUndefined();
  });

  it('names REDIS_URL for refused credentials and REDIS_TLS_CA_FILE for an untrusted server, without the password', () => {
    const url = 'rediss://enricher:redis-pw-9@redis.internal:6380';
    const auth = judgeRedisFailure(new Error('WRONGPASS invalid username-password pair or user is disabled.'), url)!;
    expect(auth.message).toBe('Redis at rediss://redis.internal:6380 refused the login (WRONGPASS invalid username-password pair or user is disabled.): check the user and password in REDIS_URL');
    expect(judgeRedisFailure(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), url)!.setting).toBe('REDIS_TLS_CA_FILE');
    expect(judgeRedisFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), url)).toBeUndefined();
  });
});
