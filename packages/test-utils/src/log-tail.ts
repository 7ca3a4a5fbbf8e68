/** The last lines of a peer's log file, for the error that says why it did not start. */
import { readFileSync } from 'node:fs';

/** The last `lines` lines of `path`, or '(no log)' when there is none yet. */
export function logFileTail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
