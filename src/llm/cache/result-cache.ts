/**
 * The result cache port. A key is step + model + prompt version + a hash of the exact
 * messages the step would send, so a replay of unchanged documents costs nothing while a
 * new prompt version or model pays again.
 */
import { hash } from 'node:crypto';
import type { LlmMessages } from '../providers/provider.ts';

export interface CachedAnswer {
  output: unknown;
  model: string;
  /** The answer's field probability from token log-probabilities, when it had one. */
  fieldProbability?: number | undefined;
}

export interface ResultCache {
  get(key: string): Promise<CachedAnswer | undefined>;
  set(key: string, value: CachedAnswer): Promise<void>;
  readonly kind: 'memory' | 'redis';
  /** Releases connections (Redis); the app calls it on stop. */
  close?(): Promise<void>;
}

export function cacheKey(step: string, model: string, promptVersion: string, messages: LlmMessages): string {
  // One-shot hashing of the same bytes (system, NUL, user) as before: the same keys, without a
  // Hash object and three updates per step, which a cache-hit replay paid three times a document.
  const h = hash('sha256', `${messages.system}\u0000${messages.user}`, 'hex');
  return `llm-cache:${step}:${model}:${promptVersion}:${h}`;
}

/** A bounded LRU in memory: Map keeps insertion order, so re-inserting on read makes it LRU. */
export function createMemoryCache(maxEntries: number): ResultCache {
  const map = new Map<string, CachedAnswer>();
  return {
    kind: 'memory',
    async get(key) {
      const v = map.get(key);
      if (v !== undefined) {
        map.delete(key);
        map.set(key, v);
      }
      return v;
    },
    async set(key, value) {
      if (maxEntries <= 0) return;
      map.delete(key);
      map.set(key, value);
      while (map.size > maxEntries) map.delete(map.keys().next().value as string);
    },
  };
}
