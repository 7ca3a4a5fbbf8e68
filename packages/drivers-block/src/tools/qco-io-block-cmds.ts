/**
 * qco-io's discard, alloc and map commands (qemu-io's discard_f, alloc_f,
 * map_f): deallocation and the top node's allocation status
 * (bdrv_is_allocated: what this image itself allocates, not its backing
 * file), printed as qemu-io prints them.
 */
import { BDRV_BLOCK_ALLOCATED } from '../block/block-driver.js';
import { cvtstr } from './common/format.js';
import { operandCount, cvtnum, opts, requestFailed, timedRequest, type Command, type Session } from './qco-io-cmds.js';

/** The commands this file adds (qco-io puts them into its table). */
export const blockStatusCommands: Command[] = [];

/** bdrv_is_allocated over [offset, offset + bytes): (allocated?, bytes with that answer). */
async function isAllocated(s: Session, offset: number, bytes: number): Promise<[boolean, number]> {
  const st = await s.image().blockStatus(offset, bytes);
  return [(st.flags & BDRV_BLOCK_ALLOCATED) !== 0, st.bytes];
}

blockStatusCommands.push({
  name: 'discard',
  alt: 'd',
  args: '[-Cq] off len',
  oneline: 'discards a number of bytes at a specified offset',
  min: 2,
  max: -1,
  needsImage: true,
  writes: true,
  async run(s, args) {
    const { o, rest } = opts(s, this, args, 'Cq');
    operandCount(s, this, rest.length, 2, 2);
    const offset = cvtnum(s, rest[0]);
    const count = cvtnum(s, rest[1]);
    await timedRequest(s, o, 'discard', 'discard', offset, count, () => s.image().pdiscard(offset, count));
  },
});

blockStatusCommands.push({
  name: 'alloc',
  args: 'offset [count]',
  oneline: 'checks if offset is allocated in the file',
  min: 1,
  max: 2,
  needsImage: true,
  async run(s, args) {
    const offset = cvtnum(s, args[0]);
    const countArg = args.at(1);
    const count = countArg !== undefined ? cvtnum(s, countArg) : 512;
    let sum = 0;
    try {
      for (let at = offset, left = count; left > 0; ) {
        const [alloc, n] = await isAllocated(s, at, left);
        if (alloc) sum += n;
        at += n;
        left -= n;
        if (n === 0) break;
      }
    } catch (err) {
      requestFailed(s, 'alloc', err);
    }
    s.out(`${sum}/${count} bytes allocated at offset ${cvtstr(offset)}\n`);
  },
});

blockStatusCommands.push({
  name: 'map',
  args: '',
  oneline: 'prints the allocated areas of a file',
  min: 0,
  max: 0,
  needsImage: true,
  async run(s) {
    const size = await s.image().getLength();
    let at = 0;
    try {
      while (at < size) {
        const [alloc, first] = await isAllocated(s, at, size - at);
        let n = first;
        // Merge following runs with the same answer.
        while (at + n < size) {
          const [next, m] = await isAllocated(s, at + n, size - at - n);
          if (next !== alloc) break;
          n += m;
        }
        s.out(`${cvtstr(n)} (0x${n.toString(16)}) bytes ${alloc ? '    ' : 'not '}allocated at offset ${cvtstr(at)} (0x${at.toString(16)})\n`);
        at += n;
      }
    } catch (err) {
      requestFailed(s, 'map', err);
    }
  },
});
