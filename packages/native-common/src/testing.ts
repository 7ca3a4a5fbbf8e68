/**
 * Test support shared by the native backends' suites (never loaded at run time):
 * the suite itself and a FIFO helper giving two raw fds that libuv never touches.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A named pipe opened at both ends without blocking; `close()` removes it. */
export function openFifo(): { readFd: number; writeFd: number; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'qco-fifo-'));
  const path = join(dir, 'fifo');
  execFileSync('mkfifo', [path]);
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  let open = [readFd, writeFd];
  return {
    readFd,
    writeFd,
    close() {
      for (const fd of open) {
        try {
          closeSync(fd);
        } catch {
          // already closed by the test
        }
      }
      open = [];
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { nativeBackendSuite } from './backend-suite.js';
