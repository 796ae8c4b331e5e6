/**
 * The step caller's cost accounting (src/llm/chain/call-step.ts): one cost event per billed
 * call, priced from the table (or the fallback price), and acknowledged by Kafka before the
 * step settles, whether it succeeds or fails.
 */
import { describe, expect, it } from 'vitest';
import { CostEvent } from '../../src/contracts/index.ts';
import { ErrorCodes } from '../../src/errors.ts';
import type { ChainOutcome } from '../../src/llm/chain/run-chain.ts';
import { buildChain, counterTotal, ctx, failed, okResult, priceOf } from '../support/chain.ts';
import { FIXTURE_DOC as doc, MODEL, TOKENS, scriptedModel, type StepName } from '../support/scripted-model.ts';
import { sleep, timerRounds, waitUntil } from '../support/time.ts';

describe('step caller: cost events', () => {
  it('emits one valid cost event per call, priced from the table', async () => {
    const { chain, events } = buildChain();
    okResult(await chain(doc, { documentId: doc.id, attempt: 2, runId: 'run-7' }));
    expect(events).toHaveLength(3);
    expect(new Set(events.map((e) => e.call_id)).size).toBe(3);
    expect(events.map((e) => e.step)).toEqual(['extract', 'summarize', 'classify']);
    for (const e of events) {
      expect(CostEvent.safeParse(e).success).toBe(true);
      expect(e.call_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(e).toMatchObject({
        document_id: 'doc-1',
        attempt: 2,
        run_id: 'run-7',
        model: MODEL,
        provider: 'openai',
        price_source: 'table',
        ok: true,
        instance_id: 'test-instance',
        input_tokens: TOKENS[e.step as StepName].input,
        output_tokens: TOKENS[e.step as StepName].output,
      });
      expect(e.cost_usd).toBeCloseTo(priceOf(e.step as StepName), 12);
    }
  });

  it('prices a dated model snapshot as its family', async () => {
    const { chain, events, metrics } = buildChain({ model: scriptedModel({ answeredAs: 'gpt-4o-mini-2024-07-18' }) });
    okResult(await chain(doc, ctx));
    expect(events.map((e) => e.price_source)).toEqual(['table', 'table', 'table']);
    expect(events[0]!.model).toBe('gpt-4o-mini-2024-07-18');
    expect(events[0]!.cost_usd).toBeCloseTo(priceOf('extract'), 12);
    expect(await counterTotal(metrics.priceFallbacks)).toBe(0);
  });

  it('marks calls answered by an unknown model as fallback-priced', async () => {
    const { chain, events, metrics } = buildChain({ model: scriptedModel({ answeredAs: 'mystery-model-1' }) });
    okResult(await chain(doc, ctx));
    expect(events.map((e) => e.price_source)).toEqual(['fallback', 'fallback', 'fallback']);
    // The fallback is the expensive price (0.01 / 0.03 per 1K): over-report, never under.
    expect(events[0]!.cost_usd).toBeCloseTo((100 * 0.01 + 50 * 0.03) / 1000, 12);
    expect(await counterTotal(metrics.priceFallbacks)).toBe(3);
  });
});

describe('step caller: cost events are acknowledged before a step settles', () => {
  /** Until a cost event waits for its acknowledgement, then as far as the chain can go meanwhile. */
  const nextAck = async (acks: unknown[]) => {
    await waitUntil(() => acks.length === 1, 10_000, 'the next cost event to wait for its acknowledgement', 1);
    await timerRounds(20);
  };
  /** The chain's run on the fixture document, and whether it has settled yet. */
  const track = (run: Promise<ChainOutcome>) => {
    const t: { settled: boolean; outcome: Promise<ChainOutcome> } = { settled: false, outcome: run };
    t.outcome = run.then((o) => {
      t.settled = true;
      return o;
    });
    return t;
  };

  it('does not finish a step until its cost event is acknowledged', async () => {
    const model = scriptedModel();
    const acks: (() => void)[] = [];
    const { chain, events } = buildChain({ model, ack: () => new Promise<void>((r) => acks.push(r)) });
    const run = track(chain(doc, ctx));
    await nextAck(acks);
    // extract was answered, but its cost is not in Kafka yet: summarize must not start.
    expect(model.requests.map((r) => r.step)).toEqual(['extract']);
    expect(events).toHaveLength(1);
    acks.shift()!();
    await nextAck(acks);
    expect(model.requests.map((r) => r.step)).toEqual(['extract', 'summarize']);
    acks.shift()!();
    await nextAck(acks);
    expect(model.requests.map((r) => r.step)).toEqual(['extract', 'summarize', 'classify']);
    expect(run.settled).toBe(false);
    acks.shift()!();
    okResult(await run.outcome);
    expect(run.settled).toBe(true);
  });

  it('records the cost of a paid-for failed call before the failure comes out', async () => {
    const model = scriptedModel();
    model.answers.summarize = { summary: '' };
    const acks: (() => void)[] = [];
    const { chain, events } = buildChain({ model, ack: (e) => (e.ok ? Promise.resolve() : new Promise<void>((r) => acks.push(r))) });
    const run = track(chain(doc, ctx));
    await nextAck(acks);
    expect(events.map((e) => [e.step, e.ok])).toEqual([
      ['extract', true],
      ['summarize', false],
    ]);
    expect(run.settled).toBe(false);
    acks.shift()!();
    const { error } = failed(await run.outcome);
    expect(error.code).toBe(ErrorCodes.LLM_BAD_OUTPUT);
  });

  // The OpenAI adapter bills a first answer, then may send a repair request: a cost event can
  // fail while its call is still running, before the step awaits it. Unhandled, that rejection
  // would end the process (Node's default --unhandled-rejections=throw); call-step.ts handles
  // it at once and reports it when the step settles.
  it('a cost event that fails while the call is still running is not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const saved = process.listeners('unhandledRejection');
    const onUnhandled = (reason: unknown) => {
      unhandled.push(reason);
    };
    // Our own listener alone for the duration, so the rejection is recorded instead of
    // failing the whole run.
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    try {
      const model = scriptedModel();
      model.afterBill = () => sleep(20);
      const { chain } = buildChain({
        model,
        ack: (e) => (e.step === 'summarize' ? Promise.reject(new Error('cost producer failed')) : Promise.resolve()),
      });
      const outcome = await chain(doc, ctx);
      await sleep(20);
      // The step fails (its cost could not be recorded): that part is by design.
      expect(outcome.ok).toBe(false);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const l of saved) process.on('unhandledRejection', l);
    }
  });
});
