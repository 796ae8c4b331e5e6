/**
 * The shadow candidate on live traffic (SHADOW_MODEL / SHADOW_PROMPTS_DIR): once the primary's
 * result for a document is routed, the candidate's chain answers the same document, and the two
 * answers go to documents.shadow side by side, with how they compare (shadow-metrics.ts).
 *
 * Its guarantees, which the processor's own depend on:
 * - it never changes an output: it is handed a routed result and writes only documents.shadow;
 * - it never delays a commit: `offer` queues and returns at once, and the record is written by a
 *   producer of its own (shadow-writer.ts), outside the output transactions;
 * - it takes pool slots only when the primary does not want them: a document starts, and each of
 *   its calls (the step caller's beforeCall, processor-shadow.ts) asks for a slot, only while
 *   none of the primary's calls of this instance waits for one, and at most `maxInFlight`
 *   shadow documents (half the pool, at least one) are ever in flight, each one call at a time;
 * - it pauses first: while the budget share is spent (or the day's budget reached) the sampled
 *   documents are skipped, not queued; while the pool is tight they wait in a bounded backlog,
 *   and past it they are skipped;
 * - a shadow result may be lost (a crash, a stop, a send that failed): never retried, never
 *   waited for. A primary result handed over twice (a retried commit, a replay) may be
 *   compared twice, under the same key.
 */
import type { RawDocument, ShadowAnswer, ShadowComparison } from '../../contracts/index.ts';
import { EnricherError, ErrorCodes, toEnricherError } from '../../errors.ts';
import type { OutgoingMessage } from '../../kafka/records.ts';
import type { ValueEncoder } from '../../kafka/serde.ts';
import { totalUsage, type ChainResult, type ChainRunner } from '../../llm/chain/run-chain.ts';
import type { ClassifyOutput } from '../../llm/chain/steps/classify.ts';
import type { Logger } from '../../observability/logger.ts';
import { gateInput, qualityGate } from '../gate.ts';
import { addToSummary, compareAnswers, emptySummary, type ShadowSummary } from './shadow-metrics.ts';
import { shadowPicks } from './shadow-sample.ts';

/** What the document handler hands over once the primary's result is routed. */
export interface PrimaryResult {
  doc: RawDocument;
  result: ChainResult;
  route: 'enriched' | 'review';
  threshold: number;
  attempt: number;
  /** The primary chain's wall time for this attempt. */
  latencyMs: number;
  runId: string | undefined;
}

export type ShadowOutcome = 'written' | 'failed' | 'skipped' | 'lost';

export interface ShadowStats {
  offered: number;
  picked: number;
  written: number;
  /** Written with the candidate's error instead of its answer. */
  failed: number;
  skipped: { budget: number; backlog: number; stopping: number };
  lost: number;
  /** Shadow documents in flight at most at once, seen so far. */
  peakInFlight: number;
  /** The comparisons made (a send that failed included), summed. */
  summary: ShadowSummary;
}

export interface ShadowRunner {
  readonly candidate: string;
  /** Never waits, never throws: the document handler calls it and returns its messages. */
  offer(p: PrimaryResult): void;
  start(): Promise<void>;
  /** Drops the backlog, lets the documents in flight end at their next call, and waits for them. */
  stop(): Promise<void>;
  stats(): ShadowStats;
  /** Resolves once nothing is queued or in flight (or after timeoutMs): the demo waits for the last comparisons. */
  drained(timeoutMs: number): Promise<void>;
}

export interface ShadowRunnerDeps {
  /** The candidate's name: the key's second half and the record's `candidate`. */
  candidate: string;
  /** The candidate's chain, whose step caller marks its cost events `shadow` and refuses calls while `paused` says why. */
  chain: ChainRunner;
  sample: number;
  primaryPromptVersion: string;
  shadowPromptVersion: string;
  maxInFlight: number;
  /** Documents waiting for a quiet pool at most; past it they are skipped. */
  maxBacklog: number;
  /** True while one of the primary's calls waits for a pool slot. */
  poolTight: () => boolean;
  /** Why the shadow must not spend now (its budget share, the day's budget), or undefined. */
  paused: () => string | undefined;
  topic: string;
  encode: ValueEncoder;
  writer: { start(): Promise<void>; send(m: OutgoingMessage): Promise<void>; stop(): Promise<void> };
  logger: Logger;
  onOutcome?: (outcome: ShadowOutcome) => void;
  /** How long a tight pool is looked at again. */
  retryMs?: number;
}

/** The models of a result's steps, in the chain's order, without repeats. */
function modelsOf(result: ChainResult): string[] {
  const models = Object.entries(result.progress).flatMap(([step, p]) => (step === 'failed_usage' ? [] : [(p as { model?: string } | undefined)?.model ?? '']));
  return [...new Set(models.filter(Boolean))];
}

export function answerOf(result: ChainResult, threshold: number, promptVersion: string, latencyMs: number): ShadowAnswer {
  const c = result.outputs.classification as ClassifyOutput;
  const gate = qualityGate(gateInput(result), threshold);
  return {
    models: modelsOf(result), prompt_version: promptVersion, category: c.category, confidence: c.confidence ?? null,
    entities: result.outputs.entities as ShadowAnswer['entities'], summary: String(result.outputs.summary ?? ''),
    route: gate.route, partial: result.partial, cost_usd: result.usage.costUsd, latency_ms: Math.round(latencyMs),
  };
}

export function createShadowRunner(deps: ShadowRunnerDeps): ShadowRunner {
  const { logger } = deps;
  const stats: ShadowStats = { offered: 0, picked: 0, written: 0, failed: 0, skipped: { budget: 0, backlog: 0, stopping: 0 }, lost: 0, peakInFlight: 0, summary: emptySummary() };
  const backlog: PrimaryResult[] = [];
  const running = new Set<Promise<void>>();
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let order = 0;
  let pausedWhy: string | undefined;

  const outcome = (o: ShadowOutcome) => deps.onOutcome?.(o);
  function skip(reason: keyof ShadowStats['skipped'], n = 1): void {
    stats.skipped[reason] += n;
    for (let i = 0; i < n; i++) outcome('skipped');
  }

  /** Why not now, logged once per pause. */
  function pausedNow(): string | undefined {
    const why = deps.paused();
    if (why && why !== pausedWhy) logger.warn({ candidate: deps.candidate, why }, 'shadow paused: sampled documents are skipped (the primary goes on)');
    if (!why && pausedWhy) logger.info({ candidate: deps.candidate }, 'shadow resumed');
    pausedWhy = why;
    return why;
  }

  function pump(): void {
    while (!stopping && backlog.length > 0 && running.size < deps.maxInFlight) {
      if (pausedNow()) {
        skip('budget', backlog.splice(0).length);
        return;
      }
      if (deps.poolTight()) {
        timer ??= setTimeout(() => {
          timer = undefined;
          pump();
        }, deps.retryMs ?? 50);
        return;
      }
      const p = backlog.shift()!;
      const run = shadowOf(p).catch((e: unknown) => {
        stats.lost++;
        outcome('lost');
        logger.warn({ documentId: p.doc.id, err: (e as Error).message }, 'shadow: a document failed before its comparison (the primary is unaffected)');
      }).finally(() => {
        running.delete(run);
        pump();
      });
      running.add(run);
      stats.peakInFlight = Math.max(stats.peakInFlight, running.size);
    }
  }

  async function shadowOf(p: PrimaryResult): Promise<void> {
    const started = performance.now();
    let record: ShadowComparison;
    const base = {
      document_id: p.doc.id, candidate: deps.candidate, threshold: p.threshold, attempt: p.attempt,
      primary: answerOf(p.result, p.threshold, deps.primaryPromptVersion, p.latencyMs),
      ...(p.runId ? { run_id: p.runId } : {}),
    };
    try {
      const out = await deps.chain(p.doc, { documentId: p.doc.id, attempt: 1, runId: p.runId, turn: { lane: 'shadow', order: order++ }, abandoned: () => stopping });
      const latency = performance.now() - started;
      if (out.ok) {
        const shadow = answerOf(out.result, p.threshold, deps.shadowPromptVersion, latency);
        const metrics = compareAnswers(base.primary, shadow);
        addToSummary(stats.summary, base.primary, shadow, metrics);
        record = { ...base, shadow, metrics, timestamp: new Date().toISOString() };
      } else {
        // Stopped, or paused mid-chain: nothing to compare, and not the candidate's failure.
        if (out.error.code === ErrorCodes.ABANDONED) return skip(stopping ? 'stopping' : 'budget');
        const usage = totalUsage(out.progress);
        logger.debug({ documentId: p.doc.id, candidate: deps.candidate, code: out.error.code, costUsd: usage.costUsd }, 'shadow: the candidate\'s chain failed');
        record = { ...base, shadow: null, metrics: null, error: { code: out.error.code, message: out.error.message.slice(0, 500) }, timestamp: new Date().toISOString() };
      }
    } catch (e) {
      const err = toEnricherError(e, 'shadow');
      if (err.code === ErrorCodes.ABANDONED) return skip(stopping ? 'stopping' : 'budget');
      record = { ...base, shadow: null, metrics: null, error: { code: err.code, message: err.message.slice(0, 500) }, timestamp: new Date().toISOString() };
    }
    try {
      await deps.writer.send({ topic: deps.topic, key: `${p.doc.id}/${deps.candidate}`, value: deps.encode(deps.topic, record), headers: {} });
      if (record.shadow) stats.written++;
      else stats.failed++;
      outcome(record.shadow ? 'written' : 'failed');
    } catch (e) {
      stats.lost++;
      outcome('lost');
      logger.warn({ documentId: p.doc.id, candidate: deps.candidate, err: (e as Error).message }, 'shadow: a comparison could not be sent and is lost (the primary is unaffected)');
    }
  }

  return {
    candidate: deps.candidate,
    offer(p) {
      try {
        stats.offered++;
        if (stopping || !shadowPicks(p.doc.id, deps.sample)) return;
        stats.picked++;
        if (pausedNow()) return skip('budget');
        if (backlog.length >= deps.maxBacklog) return skip('backlog');
        backlog.push(p);
        pump();
      } catch (e) {
        // Never the primary's problem.
        logger.warn({ err: (e as Error).message }, 'shadow: a document could not be offered');
      }
    },
    start: () => deps.writer.start(),
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      skip('stopping', backlog.splice(0).length);
      await Promise.allSettled([...running]);
      await deps.writer.stop();
    },
    stats: () => structuredClone(stats),
    async drained(timeoutMs) {
      const end = Date.now() + timeoutMs;
      while ((backlog.length > 0 || running.size > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    },
  };
}

/** The error a shadow call gets while the shadow must not spend: it ends the candidate's chain, unwritten. */
export function shadowPausedError(why: string, step: string): EnricherError {
  return new EnricherError(`shadow paused: ${why}`, { code: ErrorCodes.ABANDONED, stage: step, retriable: false });
}
