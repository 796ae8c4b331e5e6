/**
 * One status line for a command that runs a while (the demo). On a terminal the line is
 * redrawn in place; into a pipe or a file every redraw would be a new line, so there a line is
 * written only when the text changed, at most once per interval, and the last one always.
 */
export interface ProgressOutput {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  /** The terminal's width: a longer line would wrap, and the redraw would erase only its last row. */
  readonly columns?: number;
}

export interface ProgressLine {
  /** The current state; on a terminal it replaces the line shown. */
  show(text: string): void;
  /** The final state of the line; what is written after it starts on a line of its own. */
  done(text: string): void;
}

// Carriage return, then erase the line: the cursor stays on the one status line.
const REDRAW = '\r\x1b[2K';

export function createProgressLine(out: ProgressOutput, opts: { intervalMs?: number; now?: () => number } = {}): ProgressLine {
  const intervalMs = opts.intervalMs ?? 1000;
  const now = opts.now ?? Date.now;
  if (out.isTTY) {
    const fit = (text: string) => (out.columns && text.length >= out.columns ? `${text.slice(0, out.columns - 2)}…` : text);
    let shown = '';
    return {
      show(text) {
        if (text === shown) return;
        shown = text;
        out.write(REDRAW + fit(text));
      },
      done(text) {
        out.write(`${REDRAW}${fit(text)}\n`);
        shown = '';
      },
    };
  }
  let written: string | undefined;
  let writtenAt = -Infinity;
  return {
    show(text) {
      if (text === written || now() - writtenAt < intervalMs) return;
      written = text;
      writtenAt = now();
      out.write(`${text}\n`);
    },
    done(text) {
      if (text !== written) out.write(`${text}\n`);
      written = undefined;
      writtenAt = -Infinity;
    },
  };
}
