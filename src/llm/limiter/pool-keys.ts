/**
 * The clustered limiters keep everything in Redis. When Redis restarts empty (or evicts the
 * pool), their keys are gone, and every call of Bottleneck's scripts answers
 * SETTINGS_KEY_NOT_FOUND (or UNKNOWN_CLIENT for this instance's registration). Bottleneck can
 * re-create them from the limiter's own settings, the ones this instance configured, but only
 * when it recognises the reply (see restoreBottleneckReply): this file makes sure it does, says
 * so in the log, and checks the settings keys when Redis comes back.
 */
import { classifyRedisError, restoreBottleneckReply } from './redis-errors.ts';

type ScriptCallback = (err: Error | null, replies?: unknown) => void;

/** The part of Bottleneck's Redis connection that runs its Lua scripts. */
export interface ScriptConnection {
  __scriptArgs__(name: string, id: string, args: unknown[], cb: ScriptCallback): unknown[];
}

/** Hands Bottleneck its "keys gone" replies in the form it recovers from, and reports each one. */
export function recoverLostKeys(connection: ScriptConnection, onKeysLost: (limiterId: string, script: string) => void): void {
  const original = connection.__scriptArgs__.bind(connection);
  connection.__scriptArgs__ = (name, id, args, cb) =>
    original(name, id, args, (err, replies) => {
      if (err && classifyRedisError(err) === 'keys-lost') {
        restoreBottleneckReply(err);
        onKeysLost(id, name);
      }
      cb(err, replies);
    });
}

export const settingsKey = (limiterId: string) => `b_${limiterId}_settings`;

/**
 * Re-creates the keys of every limiter whose settings key is missing, by running one of its
 * scripts (Bottleneck then initialises the keys from its settings). Returns the ids it re-created;
 * throws when a key is still missing afterwards.
 */
export async function ensurePoolKeys(redis: { exists(key: string): Promise<number> }, limiters: readonly { id: string; running(): Promise<number> }[]): Promise<string[]> {
  const recreated: string[] = [];
  for (const l of limiters) {
    if ((await redis.exists(settingsKey(l.id))) === 1) continue;
    await l.running();
    if ((await redis.exists(settingsKey(l.id))) !== 1) throw new Error(`the shared pool's key ${settingsKey(l.id)} is missing and could not be re-created`);
    recreated.push(l.id);
  }
  return recreated;
}
