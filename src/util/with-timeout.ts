/**
 * Waits for p at most ms, then rejects with what `late` makes. The work behind p goes on (a
 * promise cannot be cancelled): this bounds how long the caller waits on a service that accepted
 * the request and never answers, which no connection error would ever report.
 */
export async function withTimeout<T>(p: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(late()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
