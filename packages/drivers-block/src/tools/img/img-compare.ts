/**
 * qco-img compare: whether two images have the same content (qemu-img
 * compare): the first differing offset, or "Images are identical."; with
 * -s a size difference is a mismatch, otherwise the longer image must read
 * as zeroes past the shorter one's end. Exit codes 0 same, 1 different,
 * 2 error.
 */
import type { CliStreams } from '../common/streams.js';
import { ImgError, openImage, parseOpts } from './img-common.js';

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function firstNonZero(a: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return i;
  return -1;
}

/** qemu-img compare; resolves to the exit status. */
export async function imgCompare(args: readonly string[], io: CliStreams): Promise<number> {
  let parsed;
  try {
    parsed = parseOpts(args, 'hf:F:T:pqsU', ['image-opts', 'force-share', 'help', 'object=']);
  } catch (err) {
    io.err(`qco-img: ${(err as Error).message}\n`);
    return 2;
  }
  const { opts: o, operands } = parsed;
  if (operands.length !== 2) {
    io.err('qco-img: Expecting two image file names\n');
    return 2;
  }
  const [n1, n2] = operands as [string, string];
  const quiet = o.has('q');
  let a, b;
  try {
    a = await openImage(n1, { readOnly: true, ...(o.has('f') ? { format: o.get('f') as string } : {}) }, false, io);
    b = await openImage(n2, { readOnly: true, ...(o.has('F') ? { format: o.get('F') as string } : o.has('f') ? { format: o.get('f') as string } : {}) }, false, io);
  } catch (err) {
    if (a !== undefined) await a.close();
    io.err(`qco-img: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const s1 = await a.getLength();
    const s2 = await b.getLength();
    if (o.has('s') && s1 !== s2) {
      if (!quiet) io.out('Strict mode: Image size mismatch!\n');
      return 1;
    }
    const common = Math.min(s1, s2);
    const chunk = 1 << 20;
    for (let at = 0; at < common; at += chunk) {
      const n = Math.min(chunk, common - at);
      const [x, y] = await Promise.all([a.pread(at, n), b.pread(at, n)]);
      const d = firstDiff(x, y);
      if (d >= 0) {
        if (!quiet) io.out(`Content mismatch at offset ${at + d}!\n`);
        return 1;
      }
    }
    const longer = s1 > s2 ? a : b;
    for (let at = common; at < Math.max(s1, s2); at += chunk) {
      const n = Math.min(chunk, Math.max(s1, s2) - at);
      const d = firstNonZero(await longer.pread(at, n));
      if (d >= 0) {
        if (!quiet) io.out(`Content mismatch at offset ${at + d}!\n`);
        return 1;
      }
    }
    if (!quiet) io.out('Images are identical.\n');
    return 0;
  } catch (err) {
    io.err(`qco-img: ${err instanceof ImgError ? err.message : `Error while reading: ${(err as Error).message}`}\n`);
    return 2;
  } finally {
    await a.close();
    await b.close();
  }
}
