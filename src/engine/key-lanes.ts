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
      const next = prev
        .then(task)
        .catch((e: unknown) => {
          try {
            onError(e);
          } catch {
            // A failing error handler must not leave the lane's tail behind forever.
          }
        })
        .finally(() => {
          if (tails.get(key) === next) tails.delete(key);
        });
      tails.set(key, next);
    },
    get activeKeys() {
      return tails.size;
    },
    async idle() {
      while (tails.size > 0) await Promise.allSettled([...tails.values()]);
    },
  };
}
