import { afterAll, beforeAll, expect, test } from 'vitest';
import { BlockBackend } from '../src/index.js';
import { startSshd, type SshdPeer } from './peers/sshd.js';
import { writeFileSync, readFileSync } from 'node:fs';

let peer: SshdPeer;
beforeAll(async () => {
  peer = await startSshd();
});
afterAll(async () => peer?.stop());

test('smoke', async () => {
  const path = `${peer.dataDir}/a.img`;
  writeFileSync(path, Buffer.alloc(8 << 20, 7));
  const blk = await BlockBackend.open(peer.url(path, '?host_key_check=no'), { options: { 'identity-file': peer.clientKeyPath } });
  expect(await blk.getLength()).toBe(8 << 20);
  const data = Buffer.alloc(4 << 20);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  await blk.pwrite(4096, data);
  const back = await blk.pread(4096, data.length);
  expect(Buffer.from(back).equals(data)).toBe(true);
  await blk.flush();
  await blk.close();
  expect(readFileSync(path).subarray(4096, 4096 + data.length).equals(data)).toBe(true);
});
