/**
 * The connection security of every Kafka client, from the config: TLS (with the CA, and a client
 * certificate for mutual TLS) and SASL (PLAIN, SCRAM, or OAUTHBEARER with a refreshing token).
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { Config } from '../config.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { mskIamTokenSource, type MskIamSigner } from './msk-iam.ts';
import { clientCredentialsSource, createRefreshingTokenProvider, type TokenSource } from './oauth-token.ts';

/** KafkaJS re-authenticates a connection this long before its SASL session ends. */
export const REAUTHENTICATION_THRESHOLD_MS = 10_000;

export type KafkaSecurityConfig = Pick<Config['kafka'], 'ssl' | 'sasl' | 'oauth'>;

export interface SecurityDeps {
  /** The MSK IAM signer (tests pass a fake); default: the aws-msk-iam-sasl-signer-js package. */
  mskIamSigner?: () => Promise<MskIamSigner>;
  fetch?: typeof fetch;
}

/**
 * Node's TLS options, or undefined for a plaintext connection. The files are read and tried
 * here, so a key that does not match its certificate, or a file that is no certificate, is a
 * ConfigError naming the setting instead of a failed handshake later.
 */
export function kafkaTlsOptions(k: KafkaSecurityConfig): ConnectionOptions | undefined {
  if (!k.ssl.enabled) return undefined;
  const opts: ConnectionOptions = { rejectUnauthorized: k.ssl.rejectUnauthorized };
  if (k.ssl.caFile) opts.ca = [readFileSync(k.ssl.caFile, 'utf8')];
  if (k.ssl.certFile && k.ssl.keyFile) {
    opts.cert = readFileSync(k.ssl.certFile, 'utf8');
    opts.key = readFileSync(k.ssl.keyFile, 'utf8');
  }
  try {
    createSecureContext(opts);
  } catch (e) {
    const what = /key/i.test((e as Error).message) ? 'KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE' : 'KAFKA_SSL_CA_FILE / KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE';
    throw new ConfigError(`invalid configuration:\n  ${what}: the TLS files cannot be used (${(e as Error).message})`);
  }
  return opts;
}

function tokenSource(k: KafkaSecurityConfig, deps: SecurityDeps): TokenSource {
  const o = k.oauth;
  if (o.tokenProvider === 'aws-msk-iam') return mskIamTokenSource(o.awsRegion!, deps.mskIamSigner);
  return clientCredentialsSource(
    { tokenUrl: o.tokenUrl!, clientId: o.clientId!, clientSecret: o.clientSecret!, scope: o.scope },
    deps.fetch ? { fetch: deps.fetch } : {},
  );
}

/** KafkaJS's SASL options, or undefined without SASL. loadConfig has checked that what each mechanism needs is set. */
export function kafkaSaslOptions(k: KafkaSecurityConfig, logger: Logger, deps: SecurityDeps = {}): SASLOptions | undefined {
  const { mechanism, username, password } = k.sasl;
  if (mechanism === undefined) return undefined;
  if (mechanism === 'oauthbearer') {
    return {
      mechanism,
      oauthBearerProvider: createRefreshingTokenProvider({
        source: tokenSource(k, deps),
        minValidityMs: 3 * REAUTHENTICATION_THRESHOLD_MS,
        extensions: k.oauth.extensions,
        logger,
      }),
    };
  }
  return { mechanism, username: username!, password: password! };
}

/** The user the broker sees, for error messages (never a secret). */
export function kafkaPrincipal(k: KafkaSecurityConfig): string {
  const m = k.sasl.mechanism;
  if (m === undefined) return k.ssl.certFile ? 'the client certificate\'s subject' : 'ANONYMOUS';
  if (m === 'oauthbearer') return k.oauth.tokenProvider === 'aws-msk-iam' ? 'the IAM identity of the process' : `OAuth client "${k.oauth.clientId}"`;
  return `user "${k.sasl.username}"`;
}
