import { describe, expect, it, vi } from 'vitest';
import { createKeyLanes } from '../../src/engine/key-lanes.ts';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise callback run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('KeyLanes', () => {
  it('runs tasks of one key one after another, in submission order', async () => {
    const lanes = createKeyLanes(() => {});
    const log: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    gates.forEach((g, i) =>
      lanes.run('k', async () => {
        log.push(`start ${i}`);
        await g.promise;
        log.push(`end ${i}`);
      }),
    );
    await settle();
    expect(log).toEqual(['start 0']);
    // Finishing a later task first changes nothing: it has not started.
    gates[2]!.resolve();
    gates[1]!.resolve();
    await settle();
    expect(log).toEqual(['start 0']);
    gates[0]!.resolve();
    await lanes.idle();
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('runs tasks of different keys concurrently', async () => {
    const lanes = createKeyLanes(() => {});
    const started: string[] = [];
    const a = deferred();
    const b = deferred();
    lanes.run('a', async () => {
      started.push('a');
      await a.promise;
    });
    lanes.run('b', async () => {
      started.push('b');
      await b.promise;
    });
    await settle();
    expect(started).toEqual(['a', 'b']);
    expect(lanes.activeKeys).toBe(2);
    // b finishes while a is still running.
    b.resolve();
    await settle();
    expect(lanes.activeKeys).toBe(1);
    a.resolve();
    await lanes.idle();
    expect(lanes.activeKeys).toBe(0);
  });

  it('keeps a lane going after a task fails, and reports the error', async () => {
    const onError = vi.fn();
    const lanes = createKeyLanes(onError);
    const ran: number[] = [];
    const boom = new Error('boom');
    lanes.run('k', async () => {
      ran.push(1);
    });
    lanes.run('k', async () => {
      ran.push(2);
      throw boom;
    });
    lanes.run('k', () => {
      ran.push(3);
      throw new Error('sync throw');
    });
    lanes.run('k', async () => {
      ran.push(4);
    });
    await lanes.idle();
    expect(ran).toEqual([1, 2, 3, 4]);
    expect(onError).toHaveBeenCalledTimes(2);
    expect(onError.mock.calls[0]![0]).toBe(boom);
    expect((onError.mock.calls[1]![0] as Error).message).toBe('sync throw');
    expect(lanes.activeKeys).toBe(0);
  });

  it('idle() waits for every queued task, including ones queued while waiting', async () => {
    const lanes = createKeyLanes(() => {});
    const gate = deferred();
    const done: string[] = [];
    lanes.run('a', async () => {
      await gate.promise;
      done.push('a1');
      // Queued by a running task: idle() must wait for it too.
      lanes.run('b', async () => {
        await settle();
        done.push('b1');
      });
    });
    let idle = false;
    const p = lanes.idle().then(() => {
      idle = true;
    });
    await settle();
    expect(idle).toBe(false);
    gate.resolve();
    await p;
    expect(done).toEqual(['a1', 'b1']);
    expect(lanes.activeKeys).toBe(0);
  });

  it('idle() resolves at once with nothing queued', async () => {
    const lanes = createKeyLanes(() => {});
    await expect(lanes.idle()).resolves.toBeUndefined();
    expect(lanes.activeKeys).toBe(0);
  });

  it('starts a new lane for a key whose previous tasks have all finished', async () => {
    const lanes = createKeyLanes(() => {});
    const log: string[] = [];
    lanes.run('k', async () => {
      log.push('first');
    });
    await lanes.idle();
    expect(lanes.activeKeys).toBe(0);
    lanes.run('k', async () => {
      log.push('second');
    });
    expect(lanes.activeKeys).toBe(1);
    await lanes.idle();
    expect(log).toEqual(['first', 'second']);
  });
});
