/**
 * KafkaJS 2.2.4 asks the cluster where a group's or a transaction's coordinator is before every
 * request it sends to one: our commit transaction made four FindCoordinator round trips besides
 * its five own (AddPartitionsToTxn, Produce, AddOffsetsToTxn, TxnOffsetCommit, EndTxn), on the
 * path of every document's output. This keeps each answer for a second, per client: a
 * coordinator that moved (a broker lost) is asked for again at most a second later, while the
 * requests sent to the old one fail and are retried as KafkaJS retries them anyway.
 */
export const COORDINATOR_TTL_MS = 1_000;

interface Broker {
  nodeId: number;
}

interface ClusterLike {
  findBroker(args: { nodeId: number }): Promise<Broker>;
  findGroupCoordinator(args: { groupId: string; coordinatorType?: number }): Promise<Broker>;
}

const PATCHED = Symbol.for('llm-enricher.coordinator-cache');

/** Makes every KafkaJS Cluster remember its coordinators for ttlMs. Idempotent. */
export function cacheCoordinators(Cluster: { prototype: ClusterLike }, ttlMs = COORDINATOR_TTL_MS, now: () => number = Date.now): void {
  const proto = Cluster.prototype as ClusterLike & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const ask = proto.findGroupCoordinator;
  const known = new WeakMap<object, Map<string, { nodeId: number; until: number }>>();
  proto.findGroupCoordinator = async function (this: ClusterLike, args) {
    let cache = known.get(this);
    if (!cache) known.set(this, (cache = new Map()));
    const key = `${args.coordinatorType ?? 0}:${args.groupId}`;
    const hit = cache.get(key);
    if (hit && hit.until > now()) {
      try {
        return await this.findBroker({ nodeId: hit.nodeId });
      } catch {
        cache.delete(key);
      }
    }
    const broker = await ask.call(this, args);
    cache.set(key, { nodeId: broker.nodeId, until: now() + ttlMs });
    return broker;
  };
  proto[PATCHED] = true;
}
