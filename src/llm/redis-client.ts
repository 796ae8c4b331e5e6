/**
 * The one place that opens a Redis connection (the shared pool and the result cache), so that
 * what every connection needs (its name in CLIENT LIST, TLS and credentials) is set once.
 *
 * Credentials travel in REDIS_URL (`redis://:password@host`, or an ACL user:
 * `rediss://user:password@host`); `rediss://` turns TLS on, and REDIS_TLS_CA_FILE names the CA
 * of a private certificate. The connection options are built once from the config
 * (redisConnectionOptions) and passed to every client.
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.ts';
import { ErrorCodes, SetupError } from '../errors.ts';
import { withoutCredentials } from '../util/redact.ts';
import { droppedDuringHandshake, tlsFix } from '../util/tls-errors.ts';

export function createRedisClient(url: string, purpose: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { connectionName: purpose, ...options });
}

/** What every Redis client of the process adds to REDIS_URL: the CA of a rediss:// server. */
export function redisConnectionOptions(llm: Pick<Config['llm'], 'redisUrl' | 'redisTlsCaFile'>): RedisOptions {
  if (!llm.redisUrl?.startsWith('rediss://') || !llm.redisTlsCaFile) return {};
  return { tls: { ca: [readFileSync(llm.redisTlsCaFile, 'utf8')] } };
}

/** How a failed Redis connection reads: settings that cannot work, or an outage. */
export function judgeRedisFailure(e: unknown, url: string): SetupError | undefined {
  const err = e as { code?: string; message?: string };
  const message = err.message ?? String(e);
  const where = withoutCredentials(url);
  if (/WRONGPASS|NOAUTH|invalid (username-)?password|AUTH failed|invalid username/i.test(message)) {
    return new SetupError(`Redis at ${where} refused the login (${message.split('\n')[0]!.slice(0, 120)}): check the user and password in REDIS_URL`, { code: ErrorCodes.REDIS_AUTHENTICATION, setting: 'REDIS_URL' });
  }
  const fix = tlsFix(err.code, message);
  if (fix === 'trust-ca') {
    return new SetupError(`Redis at ${where}: the server's TLS certificate is not trusted (${err.code}): set REDIS_TLS_CA_FILE to the CA certificate that signed it`, { code: ErrorCodes.REDIS_TLS, setting: 'REDIS_TLS_CA_FILE' });
  }
  if (fix === 'hostname') {
    return new SetupError(`Redis at ${where}: the server's TLS certificate does not name that host (${err.code}): use a host name the certificate holds in REDIS_URL`, { code: ErrorCodes.REDIS_TLS, setting: 'REDIS_URL' });
  }
  if (fix) return new SetupError(`Redis at ${where}: TLS failed (${err.code ?? message}): check the server's certificate`, { code: ErrorCodes.REDIS_TLS, setting: 'REDIS_URL' });
  if (droppedDuringHandshake(err.code, message) && url.startsWith('rediss://')) {
    return new SetupError(`Redis at ${where} closed the connection during the TLS handshake: is that port TLS? (rediss:// in REDIS_URL is TLS, redis:// is not)`, { code: ErrorCodes.REDIS_TLS, setting: 'REDIS_URL' });
  }
  return undefined;
}

/**
 * Connects once and pings, so that REDIS_URL credentials or TLS settings that cannot work stop
 * the process at start with a SetupError. An unreachable Redis is not a setting: it returns,
 * and the pool and the cache ride it out as they do any outage.
 */
export async function checkRedisConnection(url: string, options: RedisOptions, timeoutMs = 5_000): Promise<void> {
  const redis = createRedisClient(url, 'enricher-check', { ...options, lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The first failure (a refused AUTH, a TLS alert) comes as an event; the rejection after it is only "closed".
  const seen: unknown[] = [];
  redis.on('error', (e: unknown) => void seen.push(e));
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    for (const x of [...seen, e]) {
      const setup = judgeRedisFailure(x, url);
      if (setup) throw setup;
    }
  } finally {
    redis.disconnect();
  }
}
