/** The coordinator cache's rules, on a stand-in for KafkaJS's Cluster: kept for its TTL, per client, dropped when its broker is gone. */
import { describe, expect, it } from 'vitest';
import { cacheCoordinators } from '../../src/kafka/coordinator-cache.ts';

function standIn() {
  let coordinator = 1;
  const known = new Set([1, 2]);
  class Cluster {
    asked = 0;
    async findBroker({ nodeId }: { nodeId: number }) {
      if (!known.has(nodeId)) throw new Error(`broker ${nodeId} not found`);
      return { nodeId };
    }
    async findGroupCoordinator(_: { groupId: string; coordinatorType?: number }) {
      this.asked++;
      return { nodeId: coordinator };
    }
  }
  return { Cluster, move: (to: number) => (coordinator = to), lose: (id: number) => known.delete(id) };
}

describe('coordinator cache', () => {
  it('answers from memory for its TTL, per client and per group and type, then asks again', async () => {
    const { Cluster, move } = standIn();
    let now = 0;
    cacheCoordinators(Cluster, 1000, () => now);
    const a = new Cluster();
    const b = new Cluster();
    expect(await a.findGroupCoordinator({ groupId: 'g' })).toEqual({ nodeId: 1 });
    await a.findGroupCoordinator({ groupId: 'g' });
    expect(a.asked).toBe(1);
    await a.findGroupCoordinator({ groupId: 'g', coordinatorType: 1 });
    await b.findGroupCoordinator({ groupId: 'g' });
    expect([a.asked, b.asked]).toEqual([2, 1]);
    move(2);
    now = 999;
    expect(await a.findGroupCoordinator({ groupId: 'g' })).toEqual({ nodeId: 1 });
    now = 1001;
    expect(await a.findGroupCoordinator({ groupId: 'g' })).toEqual({ nodeId: 2 });
  });

  it('asks again at once when the remembered broker is gone, and patches a class once', async () => {
    const { Cluster, move, lose } = standIn();
    cacheCoordinators(Cluster, 60_000);
    cacheCoordinators(Cluster, 60_000);
    const a = new Cluster();
    await a.findGroupCoordinator({ groupId: 'g' });
    move(2);
    lose(1);
    expect(await a.findGroupCoordinator({ groupId: 'g' })).toEqual({ nodeId: 2 });
    expect(a.asked).toBe(2);
  });
});
