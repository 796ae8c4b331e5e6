/**
 * Which fault each trial of the commit-fault test arms, drawn from a seeded PRNG so that a run
 * that found something can be planned again from its seed (the timing of the network cannot).
 *
 * Every commit of the processor is AddPartitionsToTxn + Produce, AddOffsetsToTxn +
 * TxnOffsetCommit, EndTxn (transactional-committer.ts). KafkaJS retries a lost Produce or
 * AddPartitionsToTxn itself (sendMessages' retrier, same sequence numbers), but not a lost
 * EndTxn, AddOffsetsToTxn or TxnOffsetCommit (eosManager: bail on a closed connection), and not
 * InitProducerId on a closed connection: those reach the engine, whose unknown-outcome path
 * (commit-path.ts settleUnknownCommit) must then find out what the broker did. The cases that
 * matter most, a lost EndTxn or TxnOffsetCommit response, are armed on half the trials; the
 * rest is drawn.
 */
import type { ApiName, Fault, FaultMode } from './kafka-fault-proxy.ts';

export interface TrialPlan {
  /** Armed when the trial starts: the first matching request of the processor's commits. */
  primary: Fault;
  /** Armed once the primary fired: a fault in the recovery (fencing, the offset read, the retry). */
  recovery?: Fault;
  /** How many documents the trial sends. */
  docs: number;
}

/** Transactional producers' ids are `<group>.tx.<topic>.<partition>`: not the cost events' producer. */
const TX = /\.tx\./;

function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

const COMMIT_APIS: readonly ApiName[] = [
  'EndTxn', 'EndTxn', 'EndTxn', 'TxnOffsetCommit', 'TxnOffsetCommit', 'TxnOffsetCommit',
  'AddOffsetsToTxn', 'AddOffsetsToTxn', 'AddPartitionsToTxn', 'Produce', 'FindCoordinator',
];
const MODES: readonly FaultMode[] = ['drop-request', 'drop-response', 'drop-response', 'hold-response', 'delay-response', 'partition'];
/** InitProducerId and OffsetFetch only run on the recovery path (and at partition assignment). */
const RECOVERY_APIS: readonly ApiName[] = ['InitProducerId', 'OffsetFetch', 'EndTxn', 'TxnOffsetCommit'];
const RECOVERY_MODES: readonly FaultMode[] = ['drop-request', 'drop-response', 'hold-response', 'delay-response'];

function fault(rng: () => number, api: ApiName, mode: FaultMode, tag: string, opts: { maxHoldMs: number; maxPartitionMs: number }): Fault {
  const [hold, partition] = [rng(), rng()];
  return {
    api, mode, tag,
    // A transactional Produce or InitProducerId, not the cost events' idempotent producer.
    ...(api === 'Produce' || api === 'InitProducerId' ? { key: TX } : {}),
    ...(mode === 'hold-response' || mode === 'delay-response' ? { holdMs: 100 + Math.floor(hold * (opts.maxHoldMs - 100)) } : {}),
    ...(mode === 'partition' ? { partitionMs: 200 + Math.floor(partition * (opts.maxPartitionMs - 200)) } : {}),
  };
}

export function planTrial(rng: () => number, trial: number, opts = { maxHoldMs: 2_500, maxPartitionMs: 3_000 }): TrialPlan {
  const tag = `trial=${trial}`;
  const keyCase = trial % 4 === 0 ? 'EndTxn' : trial % 4 === 1 ? 'TxnOffsetCommit' : undefined;
  // Draw every number whatever the branch, so that one trial's plan does not shift the next's.
  const api = pick(rng, COMMIT_APIS);
  const mode = pick(rng, MODES);
  const primary = keyCase ? fault(rng, keyCase, 'drop-response', tag, opts) : fault(rng, api, mode, tag, opts);
  const withRecovery = rng() < 0.35;
  const recovery = fault(rng, pick(rng, RECOVERY_APIS), pick(rng, RECOVERY_MODES), `${tag} recovery`, opts);
  const docs = 2 + Math.floor(rng() * 4);
  return { primary, ...(withRecovery ? { recovery } : {}), docs };
}
