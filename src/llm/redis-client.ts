/**
 * The one place that opens a Redis connection (the shared pool and the result cache), so that
 * what every connection needs (its name in CLIENT LIST, later TLS and credentials) is set once.
 */
import { Redis, type RedisOptions } from 'ioredis';

export function createRedisClient(url: string, purpose: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { connectionName: purpose, ...options });
}
