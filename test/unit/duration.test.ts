import { describe, expect, it } from 'vitest';
import { formatDuration, parseDurationMs } from '../../src/util/duration.ts';

describe('parseDurationMs', () => {
  it.each([
    ['250ms', 250],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1.5d', 129_600_000],
    ['1500', 1500],
    ['0', 0],
    ['1.5s', 1500],
    ['0.5m', 30_000],
    [' 10 s ', 10_000],
    ['2.0004s', 2000],
    ['0.6ms', 1],
  ])('%j → %d', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', '   ', 'abc', '10x', '-5s', '1e3', '.5s', '10 seconds', '1w', '10D', '10S', 's', '1,5s', '10s20s'])(
    'rejects %j',
    (text) => {
      expect(parseDurationMs(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [10_000, '10s'],
    [20_000, '20s'],
    [40_000, '40s'],
    [120_000, '2m'],
    [60_000, '1m'],
    [90_000, '90s'],
    [3_600_000, '1h'],
    [7_200_000, '2h'],
    [5_400_000, '90m'],
    [1500, '1500ms'],
    [1, '1ms'],
    [1000, '1s'],
  ])('%d → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('round trips', () => {
  it('parse(format(ms)) === ms for many integer durations', () => {
    const samples = new Set<number>([0, 1, 999, 1000, 1001, 59_999, 60_000, 61_000, 3_599_999, 3_600_000, 86_400_000]);
    // A deterministic spread of values, including multiples of each unit.
    for (let i = 1; i <= 500; i++) {
      samples.add(i * 7);
      samples.add(i * 1000);
      samples.add(i * 60_000);
      samples.add(i * 3_600_000);
      samples.add((i * 2_654_435_761) % 10_000_000);
    }
    for (const ms of samples) expect(parseDurationMs(formatDuration(ms)), `ms=${ms}`).toBe(ms);
  });

  it('formats distinct durations to distinct strings (retry topic names stay unique)', () => {
    const seen = new Map<string, number>();
    for (let ms = 1; ms <= 200_000; ms += 250) {
      const s = formatDuration(ms);
      expect(seen.has(s), `${s} for ${ms} and ${seen.get(s)}`).toBe(false);
      seen.set(s, ms);
    }
  });

  it.each(['10s', '2m', '1h', '1500ms', '250ms', '90s'])('format(parse(%j)) gives it back', (text) => {
    const ms = parseDurationMs(text);
    expect(ms).toBeDefined();
    expect(formatDuration(ms!)).toBe(text);
  });

  it('normalises non-canonical input to the largest whole unit', () => {
    expect(formatDuration(parseDurationMs('60s')!)).toBe('1m');
    expect(formatDuration(parseDurationMs('120000')!)).toBe('2m');
    expect(formatDuration(parseDurationMs('60m')!)).toBe('1h');
    expect(formatDuration(parseDurationMs('1.5s')!)).toBe('1500ms');
  });
});
