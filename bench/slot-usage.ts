/**
 * Where the pool's slot time went in a window of a run, from the fake server's own record of
 * every request: on calls that were answered, on calls refused (429), or idle. What the
 * throughput scenarios use to say what held them below their bound.
 */
import type { FakeRequest } from './lib.ts';

export interface SlotUsage {
  windowMs: number;
  /** Shares of slots × window: on answered calls, on refused ones, idle. */
  answered: number;
  refused: number;
  idle: number;
}

function overlap(at: number, durationMs: number, from: number, to: number): number {
  return Math.max(0, Math.min(at + durationMs, to) - Math.max(at, from));
}

export function slotUsage(requests: FakeRequest[], slots: number, from: number, to: number): SlotUsage {
  const windowMs = to - from;
  let answered = 0;
  let refused = 0;
  for (const r of requests) {
    const t = overlap(r.at, r.durationMs, from, to);
    if (r.status === 200) answered += t;
    else refused += t;
  }
  const total = slots * windowMs;
  return { windowMs, answered: answered / total, refused: refused / total, idle: Math.max(0, 1 - (answered + refused) / total) };
}

/** Per document: the gaps between its calls, and the time from its last call's answer to its output being readable. */
export function perDocument(requests: FakeRequest[], seen: Map<string, number>): { between: number[]; afterLast: number[] } {
  const calls = new Map<string, FakeRequest[]>();
  for (const r of requests) if (r.documentId) calls.set(r.documentId, [...(calls.get(r.documentId) ?? []), r]);
  const between: number[] = [];
  const afterLast: number[] = [];
  for (const [id, cs] of calls) {
    const out = seen.get(id);
    if (out === undefined) continue;
    cs.sort((a, b) => a.at - b.at);
    let gaps = 0;
    for (let i = 1; i < cs.length; i++) gaps += cs[i]!.at - (cs[i - 1]!.at + cs[i - 1]!.durationMs);
    between.push(gaps);
    const last = cs[cs.length - 1]!;
    afterLast.push(out - (last.at + last.durationMs));
  }
  return { between: between.sort((a, b) => a - b), afterLast: afterLast.sort((a, b) => a - b) };
}
