import { describe, expect, it } from 'vitest';
import { createProgressLine } from '../../src/cli/progress-line.ts';

function recorder(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return { writes, out: { isTTY, columns, write: (s: string) => writes.push(s) } };
}

describe('the progress line on a terminal', () => {
  it('redraws one line in place and ends it with a newline', () => {
    const { writes, out } = recorder(true);
    const p = createProgressLine(out);
    p.show('routed 0/3');
    p.show('routed 0/3');
    p.show('routed 2/3');
    p.done('routed 3/3');
    expect(writes).toEqual(['\r\x1b[2Krouted 0/3', '\r\x1b[2Krouted 2/3', '\r\x1b[2Krouted 3/3\n']);
    // What the terminal shows at the end: only the last state, on a line of its own.
    expect(writes.join('').split('\r\x1b[2K').at(-1)).toBe('routed 3/3\n');
    expect(writes.join('')).not.toContain('\n\r');
  });

  it('cuts a line to the terminal width, so that it never wraps onto a row the redraw cannot erase', () => {
    const { writes, out } = recorder(true, 20);
    const p = createProgressLine(out);
    p.show('routed 72/72 documents; stopping the processor');
    p.done('routed 72/72');
    expect(writes).toEqual(['\r\x1b[2Krouted 72/72 docum…', '\r\x1b[2Krouted 72/72\n']);
    expect('routed 72/72 docum…'.length).toBeLessThan(20);
  });
});

describe('the progress line into a pipe or a file', () => {
  it('writes plain lines: a changed text at most once per interval, and the final one', () => {
    const { writes, out } = recorder(false);
    let t = 0;
    const p = createProgressLine(out, { intervalMs: 1000, now: () => t });
    p.show('routed 0/3');
    t = 100;
    p.show('routed 1/3'); // too soon after the last line
    t = 1200;
    p.show('routed 1/3');
    t = 2500;
    p.show('routed 1/3'); // unchanged
    p.done('routed 3/3');
    expect(writes).toEqual(['routed 0/3\n', 'routed 1/3\n', 'routed 3/3\n']);
    expect(writes.join('')).not.toMatch(/[\r\x1b]/);
  });

  it('does not repeat the final state when it was the last line written', () => {
    const { writes, out } = recorder(false);
    const p = createProgressLine(out);
    p.show('routed 3/3');
    p.done('routed 3/3');
    expect(writes).toEqual(['routed 3/3\n']);
  });
});
