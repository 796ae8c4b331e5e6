/**
 * Runs tasks concurrently across keys and one after another within a key, so documents with
 * the same key keep their order while the rest of the partition goes on.
 */
export interface KeyLanes {
  run(key: string, task: () => Promise<void>): void;
  readonly activeKeys: number;
  /** Resolves when every task queued so far has finished. */
  idle(): Promise<void>;
}

export function createKeyLanes(onError: (e: unknown) => void): KeyLanes {
  const tails = new Map<string, Promise<void>>();
  return {
    run(key, task) {
      const prev = tails.get(key) ?? Promise.resolve();
      const next = prev.then(task).catch(onError);
      tails.set(key, next);
      void next.then(() => {
        if (tails.get(key) === next) tails.delete(key);
      });
    },
    get activeKeys() {
      return tails.size;
    },
    async idle() {
      while (tails.size > 0) await Promise.allSettled([...tails.values()]);
    },
  };
}
