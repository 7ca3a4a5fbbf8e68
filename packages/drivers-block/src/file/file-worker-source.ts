/**
 * The work functions a thread-pool worker runs for the file driver (QEMU's
 * handle_aiocb_rw / handle_aiocb_flush), as an ES module in a data: URL so the
 * pool can import it from any build (ESM, CJS, TypeScript sources under
 * vitest) without a worker file on disk. Each loops over short transfers,
 * reads past the end of file as zeroes, and returns bytes done or throws with
 * the system errno, which the pool turns into -errno.
 */

const SOURCE = `
import { readSync, writeSync, fdatasyncSync } from 'node:fs';
export function pread(a) {
  const buf = new Uint8Array(a.sab, a.off, a.len);
  let done = 0;
  while (done < a.len) {
    const n = readSync(a.fd, buf, done, a.len - done, a.pos + done);
    if (n === 0) { buf.fill(0, done); break; }
    done += n;
  }
  return a.len;
}
export function pwrite(a) {
  const buf = new Uint8Array(a.sab, a.off, a.len);
  let done = 0;
  while (done < a.len) {
    const n = writeSync(a.fd, buf, done, a.len - done, a.pos + done);
    if (n === 0) { const e = new Error('short write'); e.errno = 28; throw e; }
    done += n;
  }
  if (a.fua) fdatasyncSync(a.fd);
  return a.len;
}
export function flush(a) {
  fdatasyncSync(a.fd);
  return 0;
}
`;

/** The module URL of the file driver's work functions. */
export const FILE_WORKER_MODULE = `data:text/javascript,${encodeURIComponent(SOURCE)}`;
