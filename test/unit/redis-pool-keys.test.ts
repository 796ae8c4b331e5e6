/**
 * Redis errors classified where they arise, and the clustered limiter's keys re-created after
 * Redis restarted empty: real Bottleneck code over a fake Redis connection that answers its Lua
 * scripts the way Redis 7 does (error replies prefixed "ERR ").
 */
import Bottleneck from 'bottleneck';
import { describe, expect, it } from 'vitest';
import { ensurePoolKeys, recoverLostKeys, settingsKey, type ScriptConnection } from '../../src/llm/limiter/pool-keys.ts';
import { classifyRedisError, restoreBottleneckReply } from '../../src/llm/limiter/redis-errors.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const named = (message: string, name: string) => Object.assign(new Error(message), { name });

describe('classifyRedisError', () => {
  it('says "keys-lost" for Bottleneck’s replies when its keys or registration are gone, with or without the ERR prefix', () => {
    for (const m of ['ERR SETTINGS_KEY_NOT_FOUND', 'SETTINGS_KEY_NOT_FOUND', 'ERR UNKNOWN_CLIENT', 'UNKNOWN_CLIENT']) expect(classifyRedisError(new Error(m))).toBe('keys-lost');
  });

  it('says "unavailable" for what a down, hung or busy Redis produces', () => {
    const cases = [
      named('Reached the max retries per request limit (which is 20). Refer to "maxRetriesPerRequest" option for details.', 'MaxRetriesPerRequestError'),
      new Error('Reached the max retries per request limit (which is 1).'),
      new Error('Connection is closed.'),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      new Error('Command timed out'),
      withCode('connect ECONNREFUSED 127.0.0.1:16380', 'ECONNREFUSED'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      withCode('write EPIPE', 'EPIPE'),
      new Error('LOADING Redis is loading the dataset in memory'),
      new Error('READONLY You can\'t write against a read only replica.'),
      new Error('MASTERDOWN Link with MASTER is down'),
      new Error('BUSY Redis is busy running a script.'),
    ];
    for (const e of cases) expect(classifyRedisError(e), e.message).toBe('unavailable');
  });

  it('leaves everything else to the caller', () => {
    for (const e of [new Error('This limiter has been stopped.'), new TypeError('x is not a function'), new Error('ERR wrong number of arguments'), 'a string', undefined]) {
      expect(classifyRedisError(e)).toBeUndefined();
    }
  });
});

describe('restoreBottleneckReply', () => {
  it('gives Bottleneck back the bare word Redis 7 prefixed, and nothing else', () => {
    const e = new Error('ERR SETTINGS_KEY_NOT_FOUND');
    expect(restoreBottleneckReply(e)).toBe(true);
    expect(e.message).toBe('SETTINGS_KEY_NOT_FOUND');
    expect(restoreBottleneckReply(e)).toBe(false); // already bare
    const other = new Error('ERR something else');
    expect(restoreBottleneckReply(other)).toBe(false);
    expect(other.message).toBe('ERR something else');
  });
});

type Cb = (err: Error | null, replies?: unknown) => void;

/** Just enough of Redis + Bottleneck's scripts to run jobs: settings, registered clients, running count. */
function fakeRedis() {
  const state = { settings: undefined as Record<string, string> | undefined, clients: new Set<string>(), running: 0, inits: [] as Record<string, string>[] };
  const pairs = (kv: string[]) => Object.fromEntries(Array.from({ length: kv.length / 2 }, (_, i) => [kv[2 * i]!, kv[2 * i + 1]!]));
  function run(name: string, args: string[]): unknown {
    const [, client, ...rest] = args;
    if (name === 'init') {
      if (!state.settings) {
        state.settings = pairs(rest.slice(2));
        state.inits.push({ ...state.settings });
      }
      return [];
    }
    if (name === 'register_client') {
      state.clients.add(client!);
      return [];
    }
    if (!state.settings) throw new Error('ERR SETTINGS_KEY_NOT_FOUND');
    if (!state.clients.has(client!)) throw new Error('ERR UNKNOWN_CLIENT');
    switch (name) {
      case 'update_settings':
        Object.assign(state.settings, pairs(rest));
        return [];
      case 'submit':
        return [0, 0, 1];
      case 'register': {
        if (state.running >= Number(state.settings.maxConcurrent)) return [0, 0, null];
        state.running++;
        return [1, 0, null];
      }
      case 'free':
        state.running = Math.max(0, state.running - 1);
        return state.running;
      case 'running':
        return state.running;
      default:
        return [];
    }
  }
  const connection = {
    datastore: 'ioredis',
    ready: Promise.resolve({ client: {}, subscriber: {} }),
    __addLimiter__: async () => undefined,
    __removeLimiter__: () => undefined,
    disconnect: async () => undefined,
    __scriptArgs__: (name: string, _id: string, args: unknown[], cb: Cb): unknown[] => [name, args.map(String), cb],
    __scriptFn__: () => (name: string, args: string[], cb: Cb) => setImmediate(() => {
      let reply: unknown;
      try {
        reply = run(name, args);
      } catch (e) {
        return cb(e as Error);
      }
      cb(null, reply);
    }),
  };
  return {
    state,
    connection,
    /** Redis restarted without its data. */
    wipe() {
      state.settings = undefined;
      state.clients.clear();
      state.running = 0;
    },
    exists: async (key: string) => (state.settings && key === settingsKey('pool') ? 1 : 0),
  };
}

function limiterOn(redis: ReturnType<typeof fakeRedis>) {
  return new Bottleneck({ connection: redis.connection as unknown as Bottleneck.IORedisConnection, id: 'pool', maxConcurrent: 2, heartbeatInterval: 60_000 });
}

describe('the clustered limiter after Redis restarted empty', () => {
  it('without the fix, every call fails with Redis 7’s "ERR SETTINGS_KEY_NOT_FOUND" (the incident)', async () => {
    const redis = fakeRedis();
    const l = limiterOn(redis);
    expect(await l.schedule(async () => 'before')).toBe('before');
    redis.wipe();
    await expect(l.schedule(async () => 'after')).rejects.toThrow('ERR SETTINGS_KEY_NOT_FOUND');
    await expect(l.schedule(async () => 'later')).rejects.toThrow('ERR SETTINGS_KEY_NOT_FOUND');
    l.disconnect();
  });

  it('re-creates its keys with this instance’s configured settings on the next call, and reports it', async () => {
    const redis = fakeRedis();
    const lost: string[] = [];
    recoverLostKeys(redis.connection as ScriptConnection, (id, script) => lost.push(`${id}:${script}`));
    const l = limiterOn(redis);
    await (l.updateSettings({ maxConcurrent: 5 }) as unknown as Promise<unknown>); // the configured LLM_POOL_SLOTS
    expect(await l.schedule(async () => 'before')).toBe('before');
    expect(redis.state.inits).toHaveLength(1);

    redis.wipe();
    expect(await l.schedule(async () => 'after')).toBe('after');
    expect(redis.state.inits).toHaveLength(2);
    expect(redis.state.inits[1]!.maxConcurrent).toBe('5'); // not the constructor's 2
    expect(redis.state.clients.size).toBe(1); // registered again (UNKNOWN_CLIENT recovered too)
    expect(lost).toContain('pool:submit');
    expect(redis.state.running).toBe(0);
    l.disconnect();
  });

  it('ensurePoolKeys re-creates missing keys of an idle limiter, and leaves present ones alone', async () => {
    const redis = fakeRedis();
    recoverLostKeys(redis.connection as ScriptConnection, () => undefined);
    const l = limiterOn(redis);
    await l.ready();
    expect(await ensurePoolKeys(redis, [l])).toEqual([]);
    redis.wipe();
    expect(await ensurePoolKeys(redis, [l])).toEqual(['pool']);
    expect(redis.state.settings?.maxConcurrent).toBe('2');
    expect(await ensurePoolKeys(redis, [l])).toEqual([]);
    l.disconnect();
  });

  it('ensurePoolKeys says so when the keys cannot be re-created', async () => {
    await expect(ensurePoolKeys({ exists: async () => 0 }, [{ id: 'pool', running: async () => 0 }])).rejects.toThrow(/b_pool_settings is missing/);
  });
});
