/**
 * Redis over TLS with an ACL user: a real redis-server on a free port with a TLS listener only
 * (the secured stack's CA and its certificate for `localhost`), `default` disabled and one user
 * with a password. The shared pool and the result cache work through a `rediss://` REDIS_URL
 * with REDIS_TLS_CA_FILE; a wrong password, a missing CA and a host name the certificate lacks
 * are SetupErrors naming the setting, and `enricher start` exits on them with one fatal line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { SetupError } from '../../src/errors.ts';
import { createCache } from '../../src/llm/cache/create-cache.ts';
import { createLimiter } from '../../src/llm/limiter/create-limiter.ts';
import { checkRedisConnection, redisConnectionOptions } from '../../src/llm/redis-client.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { testEnv } from '../support/kafka.ts';
import { freePort } from '../support/ports.ts';
import { spawnCli } from '../support/processes.ts';
import { uniquePoolId } from '../support/redis.ts';
import { CA_FILE, ensureSecureStack, SERVER_CERT, SERVER_KEY } from '../support/secure-kafka.ts';
import { sleep } from '../support/time.ts';

const PASSWORD = `redis-pw-${Math.random().toString(36).slice(2)}`;
let port = 0;
let server: ChildProcess | undefined;

beforeAll(async () => {
  await ensureSecureStack(); // for its CA and its certificate for localhost
  port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redis-tls-'));
  const conf = join(dir, 'redis.conf');
  writeFileSync(conf, [
    'port 0', `tls-port ${port}`, 'bind 127.0.0.1', 'save ""', 'appendonly no',
    `tls-cert-file ${SERVER_CERT}`, `tls-key-file ${SERVER_KEY}`, `tls-ca-cert-file ${CA_FILE}`, 'tls-auth-clients no',
    'user default off', `user enricher on >${PASSWORD} ~* &* +@all`,
  ].join('\n'));
  server = spawn('redis-server', [conf], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    try {
      await checkRedisConnection(`rediss://enricher:${PASSWORD}@localhost:${port}`, { tls: { ca: [readFileSync(CA_FILE, 'utf8')] } }, 1000);
      break;
    } catch {
      await sleep(100);
    }
  }
});
afterAll(() => {
  server?.kill('SIGTERM');
});

const url = (user = 'enricher', password = PASSWORD, host = 'localhost') => `rediss://${user}:${password}@${host}:${port}`;

describe('Redis over TLS with an ACL user', () => {
  it('the shared pool and the result cache work through rediss:// and REDIS_TLS_CA_FILE', async () => {
    const config = loadConfig({ REDIS_URL: url(), REDIS_TLS_CA_FILE: CA_FILE, LLM_POOL_ID: uniquePoolId('tls'), LLM_POOL_SLOTS: '2' });
    const options = redisConnectionOptions(config.llm);
    const cache = createCache(config, silentLogger(), options)!;
    const limiter = createLimiter(config, silentLogger(), options);
    try {
      expect(limiter.scope).toBe('global');
      expect(await limiter.schedule(1, async () => 'ran')).toBe('ran');
      await cache.set('k1', { output: { a: 1 }, model: 'm' });
      expect(await cache.get('k1')).toEqual({ output: { a: 1 }, model: 'm' });
    } finally {
      await limiter.stop();
      await cache.close?.();
    }
  });

  it('a wrong password, no CA, and a host name the certificate lacks are SetupErrors naming the setting, without the password', async () => {
    const ca = { tls: { ca: [readFileSync(CA_FILE, 'utf8')] } };
    const failure = async (u: string, options: object) => {
      try {
        await checkRedisConnection(u, options, 3000);
      } catch (e) {
        expect(e).toBeInstanceOf(SetupError);
        expect((e as Error).message).not.toContain('wrong-pw');
        expect((e as Error).message).not.toContain(PASSWORD);
        return e as SetupError;
      }
      throw new Error(`${u} was accepted`);
    };
    const wrong = await failure(url('enricher', 'wrong-pw'), ca);
    expect(wrong.setting).toBe('REDIS_URL');
    expect(wrong.message).toMatch(/refused the login \(WRONGPASS/);
    const noCa = await failure(url(), {});
    expect(noCa.setting).toBe('REDIS_TLS_CA_FILE');
    const host = await failure(url('enricher', PASSWORD, '127.0.0.1'), ca);
    expect(host.setting).toBe('REDIS_URL');
    expect(host.message).toContain('does not name that host');
  });

  it('`enricher start` with a wrong Redis password exits 1 with one fatal line', async () => {
    const child = spawnCli(['start'], testEnv({ REDIS_URL: url('enricher', 'wrong-pw'), REDIS_TLS_CA_FILE: CA_FILE, LOG_LEVEL: 'info' }), 'redis-wrong-pw');
    const { code } = await child.exited;
    await child.logged;
    const text = readFileSync(child.logFile, 'utf8');
    expect(code).toBe(1);
    const fatal = text.split('\n').filter((l) => l.includes('"level":"fatal"'));
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toContain('"code":"REDIS_AUTHENTICATION"');
    expect(fatal[0]).toContain('check the user and password in REDIS_URL');
    expect(text).not.toContain('wrong-pw');
  }, 60_000);
});
