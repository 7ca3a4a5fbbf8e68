/** qco-img: info and bench output as qemu-img prints them, convert between drivers with -p. */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_DRIVER_SPEC, registerBlockDriver, type BlockDriver, type BlockDriverState } from '../src/index.js';
import { qcoImg, qcoIo, qemu } from './tool-run.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-img-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('qco-img info', () => {
  it('prints what qemu-img info prints for a raw file', async () => {
    const img = join(dir, 'info.img');
    writeFileSync(img, Buffer.alloc(2 << 20, 1));
    const ours = await qcoImg(['info', img]);
    const theirs = qemu('qemu-img', ['info', img]);
    expect(ours.status).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    const oursJson: unknown = JSON.parse((await qcoImg(['info', '--output=json', img])).stdout);
    const theirsJson: unknown = JSON.parse(qemu('qemu-img', ['info', '--output=json', img]).stdout);
    expect(oursJson).toEqual(theirsJson);
  });
  it('null-co through --image-opts', async () => {
    const ours = await qcoImg(['info', '--image-opts', 'driver=null-co,size=1M']);
    expect(ours.stdout).toContain('file format: null-co\nvirtual size: 1 MiB (1048576 bytes)\ndisk size: 0 B\n');
  });
  it('missing file: the qemu-img message', async () => {
    const p = join(dir, 'nosuch.img');
    const ours = await qcoImg(['info', p]);
    expect(ours.status).toBe(1);
    expect(ours.stderr).toBe(`qco-img: Could not open '${p}': Could not open '${p}': No such file or directory\n`);
    expect(qemu('qemu-img', ['info', p]).stderr).toBe(`qemu-img: Could not open '${p}': Could not open '${p}': No such file or directory\n`);
  });
});

describe('qco-img bench', () => {
  it('prints the qemu-img bench lines', async () => {
    const ours = await qcoImg(['bench', '-c', '1000', '-d', '8', '-s', '4k', 'null-co://']);
    expect(ours.status).toBe(0);
    expect(ours.stdout).toMatch(/^Sending 1000 read requests, 4096 bytes each, 8 in parallel \(starting at offset 0, step size 4096\)\nRun completed in \d+\.\d{3} seconds\.\n$/);
  });
  it('write bench with a pattern and a flush interval on a file', async () => {
    const img = join(dir, 'bench.img');
    writeFileSync(img, Buffer.alloc(1 << 20));
    const ours = await qcoImg(['bench', '-w', '--pattern=0x42', '--flush-interval=10', '-c', '200', '-d', '4', '-s', '4k', '-f', 'raw', img]);
    expect(ours.status).toBe(0);
    expect(ours.stdout).toContain('Sending 200 write requests, 4096 bytes each, 4 in parallel (starting at offset 0, step size 4096)\nSending flush every 10 requests\n');
    expect(readFileSync(img).subarray(0, 200 * 4096).every((b) => b === 0x42)).toBe(true);
  });
  it('a failing request is reported', async () => {
    const img = join(dir, 'small.img');
    writeFileSync(img, Buffer.alloc(4096));
    const ours = await qcoImg(['bench', '-f', 'raw', '-c', '10', '-o', '1M', img]);
    expect(ours.status).toBe(1);
    expect(ours.stderr).toBe('qco-img: Failed request: Input/output error\n');
  });
});

describe('qco-img convert', () => {
  it('file to file with -p, readable by qemu-io', async () => {
    const src = join(dir, 'src.img');
    const dst = join(dir, 'dst.img');
    writeFileSync(src, Buffer.alloc(5 << 20, 0x6b));
    const ours = await qcoImg(['convert', '-p', '-f', 'raw', '-O', 'raw', src, dst]);
    expect(ours.status).toBe(0);
    expect(ours.stdout).toMatch(/^ {4}\(0\.00\/100%\)\r/);
    expect(ours.stdout.endsWith('    (100.00/100%)\r\n')).toBe(true);
    expect(statSync(dst).size).toBe(5 << 20);
    const r = spawnSync('qemu-io', ['-f', 'raw', '-c', 'read -P 0x6b 0 5M', dst], { encoding: 'utf8' });
    expect(r.status).toBe(0);
  });
  it('null-co to file (zeroes, sparse) and file to null-co', async () => {
    const dst = join(dir, 'from-null.img');
    const a = await qcoImg(['convert', '--image-opts', 'driver=null-co,size=2M,read-zeroes=on', dst]);
    expect(a.status).toBe(0);
    expect((await qcoIo(['-c', 'read -P 0 0 2M', dst])).status).toBe(0);
    const b = await qcoImg(['convert', '-f', 'raw', dst, 'null-co://']);
    expect(b.status).toBe(0);
  });
  /** What qemu-img map says is data and what zero, without host offsets (out of order, clusters land in any order). */
  function allocation(img: string) {
    const runs: { start: number; length: number; data: boolean; zero: boolean }[] = [];
    for (const { start, length, data, zero } of JSON.parse(qemu('qemu-img', ['map', '--output=json', img]).stdout) as { start: number; length: number; data: boolean; zero: boolean }[]) {
      const last = runs.at(-1);
      if (last !== undefined && last.data === data && last.zero === zero) last.length += length;
      else runs.push({ start, length, data, zero });
    }
    return runs;
  }
  it('in order (default) and out of order (-W), 16 coroutines, over data, a hole and written zeroes: what qemu-img convert makes', async () => {
    const src = join(dir, 'mixed.raw');
    const mib = 1 << 20;
    writeFileSync(src, Buffer.alloc(0));
    truncateSync(src, 12 * mib);
    const fd = openSync(src, 'r+');
    writeSync(fd, Buffer.alloc(2 * mib, 0x11), 0, 2 * mib, 0);
    writeSync(fd, Buffer.alloc(2 * mib, 0), 0, 2 * mib, 4 * mib); // [2M, 4M) stays a hole
    writeSync(fd, Buffer.alloc(3 * mib, 0x22), 0, 3 * mib, 6 * mib);
    writeSync(fd, Buffer.alloc(4096, 0x33), 0, 4096, 12 * mib - 4096);
    closeSync(fd);
    const theirs = join(dir, 'mixed-qemu.qcow2');
    expect(qemu('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', src, theirs]).status).toBe(0);
    for (const w of [[], ['-W']]) {
      const ours = join(dir, `mixed${w.join('')}.qcow2`);
      const r = await qcoImg(['convert', '-m', '16', ...w, '-f', 'raw', '-O', 'qcow2', src, ours]);
      expect(r.stderr).toBe('');
      expect(qemu('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', src, ours]).stdout).toBe('Images are identical.\n');
      expect(qemu('qemu-img', ['check', ours]).stdout).toContain('No errors were found on the image.');
      expect(allocation(ours)).toEqual(allocation(theirs));
    }
  });
  it('reports a target it cannot create', async () => {
    const src = join(dir, 'src2.img');
    writeFileSync(src, Buffer.alloc(4096));
    const ours = await qcoImg(['convert', '-f', 'raw', src, '/nonexistent-dir/x.img']);
    expect(ours.status).toBe(1);
    expect(ours.stderr).toBe("qco-img: /nonexistent-dir/x.img: error while converting raw: Could not create '/nonexistent-dir/x.img': No such file or directory\n");
  });
});

describe('qco-img convert target cache mode', () => {
  // A target that counts the flushes it is sent: qemu-img convert's default
  // target cache mode is 'unsafe', so it sends none unless -t asks for one.
  let flushes = 0;
  const counting: BlockDriver = {
    spec: BLOCK_DRIVER_SPEC,
    formatName: 'flush-counter',
    protocolName: 'flush-counter',
    options: [],
    completions: 'inline',
    parseFilename: () => ({}),
    *open(options, flags) {
      const data = new Uint8Array(1 << 20);
      const bs: BlockDriverState = {
        driver: counting,
        filename: 'flush-counter://',
        options,
        flags,
        requestAlignment: 1,
        *coPreadv(offset, bytes, qiov) {
          qiov.fromBuffer(data.subarray(offset, offset + bytes));
        },
        *coPwritev(offset, bytes, qiov) {
          qiov.toBufferAt(data.subarray(offset, offset + bytes));
        },
        *coFlush() {
          flushes++;
        },
        *coGetLength() {
          return data.length;
        },
        *coClose() {},
      };
      return bs;
    },
  };
  beforeAll(() => registerBlockDriver(counting));

  it('sends no flush by default (-t unsafe), one with -t writeback', async () => {
    flushes = 0;
    expect((await qcoImg(['convert', '-n', 'json:{"driver":"null-co","size":1048576,"read-zeroes":true}', 'flush-counter://'])).status).toBe(0);
    expect(flushes).toBe(0);
    expect((await qcoImg(['convert', '-n', '-t', 'writeback', 'json:{"driver":"null-co","size":1048576,"read-zeroes":true}', 'flush-counter://'])).status).toBe(0);
    expect(flushes).toBe(1);
  });
});
