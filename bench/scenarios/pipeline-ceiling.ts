/**
 * What the replay and instant scenarios share: the processor (bench/instant-processor.ts) as its
 * own process over documents already on the raw topic, timed by the outputs a read_committed
 * reader sees, with an optional CPU profile summarised into the scenario's rows.
 */
import { formatTop, newestProfile, summariseProfile } from '../profile-top.ts';
import { startChild, throughput, watchOutputs, type Topics } from '../lib.ts';

export interface CeilingRun {
  docsPerSec: number;
  peakRssMiB: number;
  /** The processor's CPU time (user + system) from its start to being told to stop, start-up included. */
  cpuSeconds: number;
  /** Its CPU time a document from the first outputs the reader saw to the last (the documents after the first seen): start-up left out. */
  cpuSecondsPerDoc: number;
  /** Rows naming the profile's top items, when a profile was asked for. */
  profileRows: [string, string][];
}

export async function runProcessor(
  t: Topics, env: Record<string, string>, n: number,
  o: { profileDir?: string | undefined; after?: Map<string, bigint>; localPool?: boolean; cwd?: string },
): Promise<CeilingRun> {
  const outputs = [t.config.topics.enriched, t.config.topics.review, t.config.topics.dlq];
  const w = await watchOutputs(t.kafka, outputs, o.after);
  const started = Date.now();
  const child = startChild(['bench/instant-processor.ts', ...(o.localPool ? ['--local-pool'] : []), ...(o.profileDir ? ['--profile', o.profileDir] : [])], env, [], o.cwd);
  let cpuAtFirst = 0;
  let cpuAtLast = 0;
  let seenAtFirst = 0;
  try {
    await w.waitFor(1, 900_000);
    cpuAtFirst = child.cpuSeconds();
    seenAtFirst = w.seen.size;
    await w.waitFor(n, 900_000);
    cpuAtLast = child.cpuSeconds();
  } finally {
    await child.stop();
    await w.stop();
  }
  const { docsPerSec } = throughput(w.seen);
  const profileRows: [string, string][] = [];
  const file = o.profileDir ? newestProfile(o.profileDir, started) : undefined;
  if (file) {
    const top = summariseProfile(file);
    profileRows.push(
      ['CPU profile (from started to told to stop): busy time of the processor', `${(top.busyMs / 1000).toFixed(1)} s (${file.split('/').pop()})`],
      ['CPU profile: top packages (self time)', formatTop(top.packages, 8)],
      ['CPU profile: top functions (self time)', formatTop(top.functions, 8)],
    );
  }
  return { docsPerSec, peakRssMiB: child.peakRssMiB(), cpuSeconds: child.cpuSeconds(), cpuSecondsPerDoc: (cpuAtLast - cpuAtFirst) / Math.max(1, n - seenAtFirst), profileRows };
}
