/**
 * qemu-img's -p progress line ("    (12.34/100%)" redrawn with a carriage
 * return), drawn with cli-progress so its throttling and terminal handling are
 * the maintained ones, onto whatever stream the tool writes to.
 */
import { createRequire } from 'node:module';
import type { CliStreams } from './streams.js';

/** A progress display from 0 to `total` units. */
export interface Progress {
  /** Move to `value` units done. */
  update(value: number): void;
  /** Draw 100% and end the line. */
  stop(): void;
}

/** A qemu-img style progress line on `io`'s stdout, or nothing when `enabled` is false. */
export function createProgress(io: CliStreams, total: number, enabled: boolean): Progress {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  // A non-TTY stream keeps cli-progress from emitting cursor escapes; its
  // per-render newline becomes qemu-img's carriage return.
  let last = '';
  const stream = {
    isTTY: false,
    write(text: string) {
      const out = text === '\n' ? (last === '\r' ? '' : '\r') : text;
      if (out !== '') {
        io.out(out);
        last = out[out.length - 1];
      }
      return true;
    },
  };
  // Loaded only when a progress line is asked for (-p): most runs never draw one.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
  const bar = new cliProgress.SingleBar({
    stream: stream as unknown as NodeJS.WritableStream,
    format: (_opts, params) => `    (${(Math.min(1, params.progress) * 100).toFixed(2)}/100%)`,
    hideCursor: null,
    clearOnComplete: false,
    linewrap: null,
    noTTYOutput: true,
    notTTYSchedule: 200,
    gracefulExit: false,
  });
  bar.start(Math.max(1, total), 0);
  return {
    update: (v) => bar.update(Math.min(v, Math.max(1, total))),
    stop: () => {
      bar.update(Math.max(1, total));
      bar.stop();
      io.out('\n');
    },
  };
}
