/**
 * Runtime settings through pipeline.config on the real broker: `enricher config set` (the
 * same functions) changes a running processor's routing without a restart; bad values are
 * refused before they are written, and a bad record written by hand is ignored.
 */
import { describe, expect, it } from 'vitest';
import type { ReviewItem } from '../../src/contracts/index.ts';
import { ConfigError } from '../../src/errors.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { effectiveSettings, readStoredSettings, storeSetting, unsetStoredSetting } from '../../src/settings/settings-topic.ts';
import { startTestApp } from '../support/app.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { jsonValue, openTestKafka, readTopics, testConfig } from '../support/kafka.ts';
import { waitUntil } from '../support/time.ts';

describe('runtime settings on pipeline.config', () => {
  it('changes the quality threshold of a running processor, and keeps it through bad records and restarts', async () => {
    const config = testConfig({ QUALITY_THRESHOLD: '0.8', TOPIC_PARTITIONS: '2' });
    const { kafka } = await openTestKafka(config);
    const routed = new Map<string, string>();
    let app = await startTestApp(config, { onRouted: (route, id) => id && routed.set(id, route) });
    const producer = kafka.producer();
    await producer.connect();
    const batch = async (prefix: string) => {
      const docs = corpusDocs(10, prefix);
      await producer.send({ topic: config.topics.raw, messages: docs.map(toMessage) });
      await waitUntil(() => docs.every((d) => routed.has(d.id)), 30_000, `batch ${prefix}`);
      return docs.map((d) => routed.get(d.id));
    };

    // 0 publishes every complete, confident-enough result; 1 sends everything below certainty to review.
    await storeSetting(kafka, config, 'quality_threshold', '0');
    await waitUntil(() => app.settings.qualityThreshold() === 0, 10_000, 'threshold 0');
    expect(await batch('low')).toEqual(Array(10).fill('enriched'));

    await storeSetting(kafka, config, 'quality_threshold', '1');
    await waitUntil(() => app.settings.qualityThreshold() === 1, 10_000, 'threshold 1');
    const high = await batch('high');
    expect(high.filter((r) => r === 'review').length).toBeGreaterThanOrEqual(9);
    const reviews = (await readTopics(kafka, [config.topics.review], { quietMs: 500 })).map((r) => jsonValue<ReviewItem>(r));
    expect(reviews.filter((r) => r.document_id.startsWith('high-')).every((r) => r.threshold === 1)).toBe(true);

    // A bad value is refused before anything is written.
    await expect(storeSetting(kafka, config, 'quality_threshold', '1.5')).rejects.toThrow(ConfigError);
    await expect(storeSetting(kafka, config, 'quality_threshold', 'high')).rejects.toThrow(/quality_threshold must be a number from 0 to 1 .*; got "high"/);
    await expect(storeSetting(kafka, config, 'daily_budget', '5')).rejects.toThrow(/unknown setting "daily_budget"/);
    // A bad record written by hand is ignored: the processor keeps its value.
    await producer.send({ topic: config.topics.config, messages: [{ key: 'quality_threshold', value: '"very high"' }, { key: 'quality_threshold', value: '7' }] });
    await storeSetting(kafka, config, 'daily_budget_usd', '25');
    await waitUntil(() => app.settings.dailyBudgetUsd() === 25, 10_000, 'the budget');
    expect(app.settings.qualityThreshold()).toBe(1);

    const stored = await readStoredSettings(kafka, config, silentLogger());
    expect(effectiveSettings(config, stored)).toEqual({
      quality_threshold: { value: 1, source: 'pipeline.config' },
      daily_budget_usd: { value: 25, source: 'pipeline.config' },
    });

    // A processor started later reads the stored values before its first document.
    await app.stop();
    app = await startTestApp(config, { onRouted: (route, id) => id && routed.set(id, route) });
    expect(app.settings.qualityThreshold()).toBe(1);
    expect(app.settings.dailyBudgetUsd()).toBe(25);

    // `config set daily_budget_usd none` removes the budget; `config unset` brings back the environment's threshold.
    await storeSetting(kafka, config, 'daily_budget_usd', 'none');
    await unsetStoredSetting(kafka, config, 'quality_threshold');
    await waitUntil(() => app.settings.qualityThreshold() === 0.8 && app.settings.dailyBudgetUsd() === undefined, 10_000, 'the environment values');
    expect(effectiveSettings(config, await readStoredSettings(kafka, config, silentLogger()))).toEqual({
      quality_threshold: { value: 0.8, source: 'environment' },
      daily_budget_usd: { value: null, source: 'pipeline.config' },
    });
    await producer.disconnect();
  });
});
