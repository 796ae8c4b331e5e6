/**
 * TOPIC_MIN_INSYNC_REPLICAS: validated at start (an integer of at least 1, never above
 * TOPIC_REPLICATION_FACTOR), and set on every topic the service creates.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { topicSpecs } from '../../src/kafka/topics.ts';
import { configErrorMessage } from '../support/config-error.ts';

const configMessage = configErrorMessage;

describe('TOPIC_MIN_INSYNC_REPLICAS', () => {
  it('is unset by default: the topics take the broker\'s default', () => {
    const c = loadConfig({});
    expect(c.topics.minInsyncReplicas).toBeUndefined();
    expect(topicSpecs(c).flatMap((s) => s.configEntries ?? []).filter((e) => e.name === 'min.insync.replicas')).toEqual([]);
  });

  it('an empty value means unset', () => {
    expect(loadConfig({ TOPIC_MIN_INSYNC_REPLICAS: '' }).topics.minInsyncReplicas).toBeUndefined();
  });

  it('is set, with the replication factor, on every topic the service creates', () => {
    const c = loadConfig({ TOPIC_REPLICATION_FACTOR: '3', TOPIC_MIN_INSYNC_REPLICAS: '2' });
    expect(c.topics.minInsyncReplicas).toBe(2);
    const specs = topicSpecs(c);
    expect(specs.length).toBeGreaterThan(10);
    for (const s of specs) {
      expect(s.replicationFactor, s.topic).toBe(3);
      expect((s.configEntries ?? []).filter((e) => e.name === 'min.insync.replicas'), s.topic).toEqual([{ name: 'min.insync.replicas', value: '2' }]);
    }
    // The topics' own settings are kept beside it.
    const dlq = specs.find((s) => s.topic === c.topics.dlq)!;
    expect(dlq.configEntries!.map((e) => e.name).sort()).toEqual(['max.message.bytes', 'min.insync.replicas', 'retention.ms']);
    const decisions = specs.find((s) => s.topic === c.topics.reviewDecisions)!;
    expect(decisions.configEntries).toContainEqual({ name: 'cleanup.policy', value: 'compact' });
  });

  it('may equal the replication factor', () => {
    expect(loadConfig({ TOPIC_REPLICATION_FACTOR: '2', TOPIC_MIN_INSYNC_REPLICAS: '2' }).topics.minInsyncReplicas).toBe(2);
  });

  it.each(['0', '-1', '1.5', 'two'])('refuses %s, naming the variable', (value) => {
    expect(configMessage({ TOPIC_MIN_INSYNC_REPLICAS: value })).toMatch(/^\s*TOPIC_MIN_INSYNC_REPLICAS: /m);
  });

  it('refuses a value above TOPIC_REPLICATION_FACTOR', () => {
    expect(configMessage({ TOPIC_REPLICATION_FACTOR: '3', TOPIC_MIN_INSYNC_REPLICAS: '4' })).toMatch(/TOPIC_MIN_INSYNC_REPLICAS: must not exceed TOPIC_REPLICATION_FACTOR \(3\)/);
  });

  it('refuses a value above the default replication factor of 1', () => {
    expect(configMessage({ TOPIC_MIN_INSYNC_REPLICAS: '2' })).toMatch(/TOPIC_MIN_INSYNC_REPLICAS: must not exceed TOPIC_REPLICATION_FACTOR \(1, its default\)/);
  });

  it('is named beside every other problem of the same start', () => {
    const message = configMessage({ TOPIC_REPLICATION_FACTOR: '2', TOPIC_MIN_INSYNC_REPLICAS: '3', TOPIC_PARTITIONS: 'x' });
    expect(message).toMatch(/TOPIC_MIN_INSYNC_REPLICAS/);
    expect(message).toMatch(/TOPIC_PARTITIONS/);
  });
});
