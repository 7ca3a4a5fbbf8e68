import { describe, expect, it } from 'vitest';
import { BlockBackend } from '../src/index.js';

describe('nvme smoke', () => {
  it('opens, writes, reads back', async () => {
    const blk = await BlockBackend.open('nvme://mem:4M/1');
    expect(await blk.getLength()).toBe(4 << 20);
    const data = new Uint8Array(8192).map((_, i) => i & 0xff);
    await blk.pwrite(4096, data);
    const back = await blk.pread(4096, 8192);
    expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
    await blk.close();
  });
});
