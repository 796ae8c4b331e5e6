/**
 * The start-up check of the Kafka connection: one connection without KafkaJS's retries, so that
 * settings that can never work (refused credentials, an untrusted certificate, a host name the
 * certificate does not hold, a mechanism the broker does not offer, TLS against a plaintext
 * port) stop the process within seconds with a SetupError naming the setting to fix, instead
 * of a minute of retries and a stack trace. A broker that does not answer is not a setting
 * problem: the check lets that through to the normal path (BROKER_GIVE_UP_AFTER).
 */
import type { Config } from '../config.ts';
import { ConfigError, ErrorCodes, SetupError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { scrubSecrets } from '../util/redact.ts';
import { droppedDuringHandshake, tlsFix } from '../util/tls-errors.ts';
import { createKafka, type KafkaClientOptions } from './client.ts';
import { errorChain } from './error-kinds.ts';
import { OAuthTokenError } from './oauth-token.ts';
import { kafkaPrincipal } from './security.ts';
import { sleep } from '../util/sleep.ts';

export type ConnectionVerdict =
  | { kind: 'setup'; error: SetupError }
  /** Nobody answered (refused, timed out, no such host): an outage, not a setting. */
  | { kind: 'unreachable' }
  /** Dropped during the handshake: a TLS/plaintext mismatch, or a broker restarting. Asked again before judging. */
  | { kind: 'dropped'; error: SetupError };

const secretsOf = (k: Config['kafka']) => [k.sasl.password, k.oauth.clientSecret];

/** Reads a failed connection attempt. */
export function judgeConnectionFailure(e: unknown, config: Pick<Config, 'kafka'>): ConnectionVerdict {
  const k = config.kafka;
  const chain = errorChain(e);
  const text = scrubSecrets(chain.map((x) => (x as Error).message ?? '').join(' | '), secretsOf(k));
  const codes = chain.map((x) => (x as { code?: unknown }).code).filter((c): c is string => typeof c === 'string');
  const brokers = k.brokers.join(',');
  const setup = (code: (typeof ErrorCodes)[keyof typeof ErrorCodes], setting: string, message: string): ConnectionVerdict => ({ kind: 'setup', error: new SetupError(message, { code, setting }) });

  const tokenError = chain.find((x): x is OAuthTokenError => x instanceof OAuthTokenError);
  if (tokenError) return tokenError.retriable ? { kind: 'unreachable' } : setup(ErrorCodes.KAFKA_AUTHENTICATION, tokenError.setting, `Kafka OAuth token: ${tokenError.message}`);

  const mechanism = (k.sasl.mechanism ?? '').toUpperCase();
  if (/mechanism is not supported by the server|UNSUPPORTED_SASL_MECHANISM|does not support the requested SASL mechanism/i.test(text)) {
    return setup(ErrorCodes.KAFKA_AUTHENTICATION, 'KAFKA_SASL_MECHANISM', `Kafka at ${brokers} does not offer SASL mechanism ${mechanism}: set KAFKA_SASL_MECHANISM to one the cluster enables`);
  }
  if (/SASL .*authentication failed|SASL_AUTHENTICATION_FAILED|Authentication failed/i.test(text)) {
    const setting = mechanism === 'OAUTHBEARER'
      ? (k.oauth.tokenProvider === 'aws-msk-iam' ? 'KAFKA_AWS_REGION and the IAM policy of the process' : 'KAFKA_OAUTH_CLIENT_ID / KAFKA_OAUTH_CLIENT_SECRET / KAFKA_OAUTH_SCOPE / KAFKA_OAUTH_EXTENSIONS')
      : 'KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD';
    const said = /authentication failed:?\s*(.*)$/i.exec(chain.map((x) => (x as Error).message ?? '').find((m) => /authentication failed/i.test(m)) ?? '')?.[1];
    return setup(ErrorCodes.KAFKA_AUTHENTICATION, setting, `Kafka at ${brokers} refused the SASL ${mechanism} login of ${kafkaPrincipal(k)}${said ? ` (${scrubSecrets(said, secretsOf(k)).slice(0, 200)})` : ''}: check ${setting}`);
  }
  for (const code of codes.length ? codes : [undefined]) {
    const fix = tlsFix(code, text);
    if (fix === 'trust-ca') {
      return setup(ErrorCodes.KAFKA_TLS, 'KAFKA_SSL_CA_FILE', `Kafka at ${brokers}: the broker's TLS certificate is not trusted (${code}): set KAFKA_SSL_CA_FILE to the CA certificate that signed it${k.ssl.caFile ? ` (the one in ${k.ssl.caFile} did not)` : ''}`);
    }
    if (fix === 'hostname') {
      return setup(ErrorCodes.KAFKA_TLS, 'KAFKA_BROKERS', `Kafka at ${brokers}: the broker's TLS certificate does not name the host connected to (${code ?? 'hostname mismatch'}): put a host name the certificate holds in KAFKA_BROKERS`);
    }
    if (fix === 'expired') return setup(ErrorCodes.KAFKA_TLS, 'the broker\'s certificate', `Kafka at ${brokers}: the broker's TLS certificate is expired or not yet valid (${code}): renew it on the broker`);
    if (fix === 'client-certificate') {
      return setup(ErrorCodes.KAFKA_TLS, 'KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE', `Kafka at ${brokers} refused the TLS handshake (${code ?? 'alert'}): it wants a client certificate it trusts; check KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE`);
    }
  }
  if (codes.some((c) => droppedDuringHandshake(c)) || droppedDuringHandshake(undefined, text)) {
    const setting = k.ssl.enabled && k.sasl.mechanism ? 'KAFKA_SSL / KAFKA_BROKERS' : 'KAFKA_SSL / KAFKA_SASL_MECHANISM';
    const hint = !k.ssl.enabled
      ? 'the listener may expect TLS (KAFKA_SSL=true) or SASL (KAFKA_SASL_MECHANISM) that this client does not use'
      : k.sasl.mechanism
        ? 'KAFKA_SSL=true, but this port may not speak TLS: check KAFKA_SSL and KAFKA_BROKERS'
        : 'the listener may expect SASL (KAFKA_SASL_MECHANISM), or may not speak TLS (KAFKA_SSL)';
    return { kind: 'dropped', error: new SetupError(`Kafka at ${brokers} closed the connection during setup: ${hint}`, { code: ErrorCodes.KAFKA_TLS, setting }) };
  }
  return { kind: 'unreachable' };
}

/** Warnings about settings that work but weaken the connection; logged once at start. */
export function connectionWarnings(k: Config['kafka']): string[] {
  const out: string[] = [];
  if (k.ssl.enabled && !k.ssl.rejectUnauthorized) {
    out.push('KAFKA_SSL_REJECT_UNAUTHORIZED=false: the broker\'s certificate is NOT verified, so anyone on the path can read and change the traffic, credentials included; use it only to debug, and set KAFKA_SSL_CA_FILE instead');
  }
  if (!k.ssl.enabled && (k.sasl.mechanism === 'plain' || k.sasl.mechanism === 'oauthbearer')) {
    out.push(`KAFKA_SASL_MECHANISM=${k.sasl.mechanism} without KAFKA_SSL=true: the ${k.sasl.mechanism === 'plain' ? 'password' : 'token'} crosses the network in clear text`);
  }
  return out;
}

/**
 * Connects once, up to three times when the connection is dropped during setup. Throws the
 * SetupError of settings that cannot work, or a ConfigError for unusable TLS files.
 */
export async function checkKafkaConnection(config: Pick<Config, 'kafka'>, logger: Logger, options: KafkaClientOptions = {}): Promise<void> {
  for (const w of connectionWarnings(config.kafka)) logger.warn({ component: 'kafka-security' }, w);
  // KafkaJS logs each failed attempt itself; the verdict below is the one line that matters.
  const kafka = createKafka(config, logger.child({ component: 'kafka-connection-check' }, { level: 'error' }), '-check', { ...options, retries: 0 });
  for (let attempt = 1; ; attempt++) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      const verdict = judgeConnectionFailure(e, config);
      if (verdict.kind === 'setup') throw verdict.error;
      if (verdict.kind === 'unreachable') return;
      if (attempt >= 3) throw verdict.error;
      await sleep(500 * attempt);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
