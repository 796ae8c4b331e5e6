/**
 * Log lines to a file descriptor (stdout) in batches: a line is appended to a buffer, and the
 * buffer is written with one write(2) when it holds `batchLength` characters, when `flushMs` have passed since
 * its first line, and synchronously on every way out of the process. A per-document audit line
 * then costs a string append instead of a system call and a wake-up of whoever reads the pipe.
 *
 * Why writes in batches but synchronous ones, not pino's asynchronous destination: an
 * asynchronous write is in flight on the thread pool between two turns of the event loop, and
 * a flush at exit (sonic-boom's flushSync) writes what is buffered without it: the lines of the
 * write in flight come after, or never, when the process ends first. Here nothing is ever in
 * flight, so a flush at exit writes every line, in order.
 *
 * The ways out: `process.exit()` anywhere (the fatal paths, the end of a stopOnSignals stop, a
 * bad config) and the event loop running dry emit 'exit', so do uncaught exceptions and unhandled
 * rejections (Node exits 1 after emitting it); SIGTERM, SIGINT and SIGHUP to a process that
 * handles none of them kill it without 'exit', so the buffer is written first and the signal
 * raised again. Only SIGKILL (and a crash of Node itself) can lose the last `flushMs` of lines.
 */
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

export interface BufferedDestination {
  write(line: string): void;
  /** Writes what is buffered now, synchronously. */
  flushSync(): void;
  /** pino's logger.flush(cb) calls this. */
  flush(cb?: (err?: Error) => void): void;
  /** Flushes, and no longer listens for the process's exit or signals. */
  close(): void;
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
const waitCell = new Int32Array(new SharedArrayBuffer(4));

export function bufferedDestination(o: { fd?: number; batchLength?: number; flushMs?: number; onSignals?: boolean } = {}): BufferedDestination {
  const fd = o.fd ?? 1;
  const batchLength = o.batchLength ?? 16_384; // characters
  const flushMs = o.flushMs ?? 100;
  let buffer = '';
  let broken = false; // the reader went away (EPIPE): the lines have nowhere to go
  let timer: NodeJS.Timeout | undefined;

  function flushSync(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (buffer === '' || broken) return;
    const bytes = Buffer.from(buffer, 'utf8');
    buffer = '';
    let off = 0;
    while (off < bytes.length) {
      try {
        off += writeSync(fd, bytes, off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // stdout made non-blocking (a pipe Node opened as a stream) and full: wait for the reader, as a synchronous logger does.
        if (code === 'EAGAIN' || code === 'EBUSY') Atomics.wait(waitCell, 0, 0, 5);
        else if (code === 'EPIPE') {
          broken = true;
          return;
        } else throw e;
      }
    }
  }

  function write(line: string): void {
    buffer += line;
    if (buffer.length >= batchLength) flushSync();
    else if (!timer) timer = setTimeout(flushSync, flushMs).unref();
  }

  const onExit = () => flushSync();
  // Runs before any other listener of the signal: alone, it writes the buffer and lets the signal do what it would have done.
  const onSignal = (signal: NodeJS.Signals) => {
    flushSync();
    if (process.listenerCount(signal) > 1) return; // someone stops the process its own way (stopOnSignals), ending in process.exit
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  };
  process.on('exit', onExit);
  // Worker threads get no signals (their process's main thread does).
  if ((o.onSignals ?? true) && isMainThread) for (const s of SIGNALS) process.prependListener(s, onSignal);

  return {
    write,
    flushSync,
    flush(cb) {
      try {
        flushSync();
      } catch (e) {
        cb?.(e as Error);
        return;
      }
      cb?.();
    },
    close() {
      flushSync();
      process.removeListener('exit', onExit);
      for (const s of SIGNALS) process.removeListener(s, onSignal);
    },
  };
}
