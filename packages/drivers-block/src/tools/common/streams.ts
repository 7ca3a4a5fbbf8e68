/**
 * Where the command-line tools write. The tools take this as a parameter so
 * tests run them in-process and read exactly what a user would see.
 */

/** Output sinks of a tool run. */
export interface CliStreams {
  /** Standard output. */
  out(text: string): void;
  /** Standard error. */
  err(text: string): void;
  /** Whether stderr is a terminal (progress bars draw only then, unless forced). */
  readonly isTTY?: boolean;
}

/** The process's own stdout / stderr. */
export const processStreams: CliStreams = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  // A getter: reading process.stderr builds the stream (a few ms of start-up); node types isTTY as boolean, but a pipe's stderr has none.
  get isTTY() {
    return (process.stderr as { isTTY?: boolean }).isTTY === true;
  },
};

/** Streams that collect into strings, for tests. */
export function captureStreams(): CliStreams & { stdout: string; stderr: string } {
  const c = {
    stdout: '',
    stderr: '',
    out(t: string) {
      c.stdout += t;
    },
    err(t: string) {
      c.stderr += t;
    },
  };
  return c;
}
