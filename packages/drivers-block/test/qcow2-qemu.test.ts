/**
 * qcow2 and the block graph judged by Debian's qemu-utils: images qco-img
 * creates pass `qemu-img check` and `qemu-img info` agrees with ours field
 * for field; data written through qcow2 by one tool reads back in the other
 * (with backing files, unaligned, compressed); convert outputs compare
 * identical; map, check, commit, rebase and resize give what qemu-img gives
 * on the same inputs; probing finds qcow2 and restricts a probed raw image.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockBackend } from '../src/index.js';
import { qcoImg, qcoIo, qemu, type ToolRun } from './tool-run.js';

/** What these tests read of `qemu-img info --output=json`. */
interface QemuImgInfo {
  readonly format: string;
  readonly 'virtual-size': number;
  readonly 'format-specific': { readonly data: { readonly corrupt?: boolean } };
}

/** qemu-io's / qco-io's report lines without the timing line. */
function lines(out: string): string[] {
  return out.split('\n').filter((l) => l !== '' && !/ops; /.test(l));
}
function ok(r: ToolRun, what: string): ToolRun {
  expect(r.status, `${what}: ${r.stderr}${r.stdout}`).toBe(0);
  return r;
}

let dir = '';
const p = (name: string): string => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-qcow2-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** qemu-img check must say the image is clean. */
function checkClean(img: string): void {
  const r = qemu('qemu-img', ['check', img]);
  expect(r.stdout + r.stderr).toContain('No errors were found on the image.');
  expect(r.status).toBe(0);
}

describe('qco-img create -f qcow2', () => {
  const variants: [string, string[]][] = [
    ['default', []],
    ['cluster_size=4k', ['-o', 'cluster_size=4k']],
    ['compat=0.10', ['-o', 'compat=0.10']],
    ['lazy_refcounts=on', ['-o', 'lazy_refcounts=on']],
    ['preallocation=metadata', ['-o', 'preallocation=metadata,cluster_size=16k']],
    ['refcount_bits=8', ['-o', 'refcount_bits=8']],
  ];
  for (const [name, opts] of variants) {
    it(`${name}: qemu-img check is clean and qemu-img info --output=json agrees on every field`, async () => {
      const img = p(`create-${name.replace(/\W/g, '_')}.qcow2`);
      ok(await qcoImg(['create', '-q', '-f', 'qcow2', ...opts, img, '96M']), 'create');
      checkClean(img);
      const theirs = JSON.parse(ok(qemu('qemu-img', ['info', '--output=json', img]), 'qemu-img info').stdout) as Record<string, unknown>;
      const ours = JSON.parse(ok(await qcoImg(['info', '--output=json', img]), 'qco-img info').stdout) as Record<string, unknown>;
      const common = Object.keys(ours).filter((k) => k in theirs);
      expect(common.length).toBeGreaterThanOrEqual(7);
      for (const k of common) expect(ours[k], k).toEqual(theirs[k]);
    });
  }
  it('is byte for byte what qemu-img create writes', async () => {
    ok(await qcoImg(['create', '-q', '-f', 'qcow2', p('same-ours.qcow2'), '1G']), 'create');
    ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', p('same-theirs.qcow2'), '1G']), 'qemu-img create');
    expect(Buffer.compare(readFileSync(p('same-ours.qcow2')), readFileSync(p('same-theirs.qcow2')))).toBe(0);
  });
  it('with a backing file: -b/-F, size taken from it, info --backing-chain agrees', async () => {
    ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', p('base.qcow2'), '32M']), 'base');
    const r = ok(await qcoImg(['create', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', p('over.qcow2')]), 'create');
    expect(r.stdout).toBe(
      `Formatting '${p('over.qcow2')}', fmt=qcow2 cluster_size=65536 extended_l2=off compression_type=zlib size=33554432 backing_file=base.qcow2 backing_fmt=qcow2 lazy_refcounts=off refcount_bits=16\n`,
    );
    checkClean(p('over.qcow2'));
    const theirs = JSON.parse(qemu('qemu-img', ['info', '--output=json', '--backing-chain', p('over.qcow2')]).stdout) as Record<string, unknown>[];
    const ours = JSON.parse(ok(await qcoImg(['info', '--output=json', '--backing-chain', p('over.qcow2')]), 'info').stdout) as Record<string, unknown>[];
    expect(ours.length).toBe(2);
    ours.forEach((o, i) => {
      for (const k of Object.keys(o).filter((x) => x in (theirs[i] as object))) expect(o[k], `${i}.${k}`).toEqual(theirs[i][k]);
    });
  });
  it('refuses a backing file without its format, and a missing backing file, as qemu-img does', async () => {
    const a = await qcoImg(['create', '-f', 'qcow2', '-b', 'base.qcow2', p('nofmt.qcow2')]);
    expect(a.status).toBe(1);
    expect(a.stderr).toBe(`qco-img: ${p('nofmt.qcow2')}: Backing file specified without backing format\nDetected format of qcow2.\n`);
    const b = await qcoImg(['create', '-f', 'qcow2', '-b', 'nonexist.qcow2', '-F', 'qcow2', p('nob.qcow2')]);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain(`Could not open '${p('nonexist.qcow2')}': No such file or directory`);
  });
  it('BlockBackend.create makes an image without the CLI', async () => {
    await BlockBackend.create({ filename: p('api.qcow2'), format: 'qcow2', size: 8 << 20 });
    await BlockBackend.create({ filename: p('api-over.qcow2'), format: 'qcow2', backingFile: 'api.qcow2', backingFormat: 'qcow2' });
    checkClean(p('api-over.qcow2'));
    const blk = await BlockBackend.open(p('api-over.qcow2'));
    expect(blk.driverName).toBe('qcow2');
    expect(await blk.getLength()).toBe(8 << 20);
    expect(blk.bs.children?.map((c) => c.role)).toEqual(['file', 'backing']);
    await blk.close();
  });
});

describe('data through qcow2, both ways', () => {
  it('qco-io writes (unaligned, across clusters, zeroes), qemu-io reads; qemu-io writes, qco-io reads', async () => {
    const img = p('rw.qcow2');
    ok(await qcoImg(['create', '-q', '-f', 'qcow2', img, '16M']), 'create');
    const w = ok(await qcoIo(['-c', 'write -P 0x11 0 4k', '-c', 'write -P 0x22 70001 200000', '-c', 'write -P 0x33 5M 3', '-c', 'write -z 1M 128k', '-c', 'write -z 8M 1000', img]), 'qco-io');
    expect(lines(w.stdout)).toContain('wrote 200000/200000 bytes at offset 70001');
    checkClean(img);
    ok(qemu('qemu-io', ['-c', 'read -P 0x11 0 4k', '-c', 'read -P 0 4k 65905', '-c', 'read -P 0x22 70001 200000', '-c', 'read -P 0x33 5M 3', '-c', 'read -P 0 1M 128k', img]), 'qemu-io read');
    ok(qemu('qemu-io', ['-c', 'write -P 0x44 3M 100k', '-c', 'write -P 0x55 70000 2', img]), 'qemu-io write');
    ok(await qcoIo(['-c', 'read -P 0x44 3M 100k', '-c', 'read -P 0x55 70000 2', '-c', 'read -P 0x22 70002 199999', img]), 'qco-io read');
  });
  it('an overlay copies on write from its backing file; a chain of depth 3 reads through', async () => {
    ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', p('c0.qcow2'), '4M']), 'c0');
    ok(qemu('qemu-io', ['-c', 'write -P 0xa0 0 4M', p('c0.qcow2')]), 'fill');
    ok(await qcoImg(['create', '-q', '-f', 'qcow2', '-b', 'c0.qcow2', '-F', 'qcow2', p('c1.qcow2')]), 'c1');
    ok(await qcoIo(['-c', 'write -P 0xa1 100000 1000', p('c1.qcow2')]), 'w1');
    ok(await qcoImg(['create', '-q', '-f', 'qcow2', '-b', 'c1.qcow2', '-F', 'qcow2', p('c2.qcow2')]), 'c2');
    ok(await qcoIo(['-c', 'write -P 0xa2 100500 10', p('c2.qcow2')]), 'w2');
    for (const img of ['c1.qcow2', 'c2.qcow2']) checkClean(p(img));
    const reads = ['read -P 0xa0 0 100000', 'read -P 0xa1 100000 500', 'read -P 0xa2 100500 10', 'read -P 0xa1 100510 490', 'read -P 0xa0 101000 3M'];
    ok(qemu('qemu-io', reads.flatMap((c) => ['-c', c]).concat(p('c2.qcow2'))), 'qemu-io through the chain');
    ok(await qcoIo(reads.flatMap((c) => ['-c', c]).concat(p('c2.qcow2'))), 'qco-io through the chain');
    // Only the written cluster was allocated in the overlay.
    const map = JSON.parse(ok(await qcoImg(['map', '--output=json', p('c2.qcow2')]), 'map').stdout) as { depth: number; length: number }[];
    expect(map.filter((e) => e.depth === 0).reduce((n, e) => n + e.length, 0)).toBe(65536);
  });
  it('an allocation past anything written leaves its zero copy-on-write areas unwritten; a reused host cluster is cleared', async () => {
    const img = p('zcow.qcow2');
    ok(await qcoImg(['create', '-q', '-f', 'qcow2', img, '4M']), 'create');
    // One session: cluster 0 is written whole, discarded (its host cluster freed), then an unaligned
    // write to cluster 3 reuses that host cluster and must clear its head and tail; cluster 1's
    // allocation lies past everything written, so only its data goes to the file.
    const w = ok(await qcoIo(['-c', 'write -P 0xaa 0 64k', '-c', 'discard 0 64k', '-c', 'write -P 0x22 200000 100', '-c', 'write -P 0x11 70000 1000', img]), 'writes');
    expect(w.stderr).toBe('');
    checkClean(img);
    ok(qemu('qemu-io', ['-c', 'read -P 0 0 64k', '-c', 'read -P 0 196608 3392', '-c', 'read -P 0x22 200000 100', '-c', 'read -P 0 200100 62044', '-c', 'read -P 0 65536 4464', '-c', 'read -P 0x11 70000 1000', '-c', 'read -P 0 71000 60072', img]), 'qemu-io reads');
    const map = JSON.parse(ok(qemu('qemu-img', ['map', '--output=json', img]), 'map').stdout) as { start: number; length: number; data: boolean; zero: boolean }[];
    const at = (o: number): { data: boolean; zero: boolean } | undefined => map.find((e) => e.start <= o && o < e.start + e.length);
    // qemu-img sees the holes (SEEK_HOLE) inside cluster 1's host cluster, and none in cluster 3's.
    expect(at(65536)).toMatchObject({ data: true, zero: true });
    expect(at(70000)).toMatchObject({ data: true, zero: false });
    expect(at(196608)).toMatchObject({ data: true, zero: false });
  });
  it('json: and -o backing.file.filename build the graph QEMU builds', async () => {
    const spec = `json:{"driver":"qcow2","file":{"driver":"file","filename":"${p('c1.qcow2')}"}}`;
    ok(await qcoIo(['-c', 'read -P 0xa1 100000 1000', spec]), 'json');
    const r = ok(await qcoIo(['--image-opts', '-c', 'read -P 0xa1 100000 1000', '-c', 'read -P 0xa0 0 4k', `driver=qcow2,file.filename=${p('c1.qcow2')},backing.file.filename=${p('c0.qcow2')},backing.driver=qcow2`]), 'image-opts');
    expect(r.stderr).toBe('');
    const nob = await qcoIo(['--image-opts', '-c', 'read -P 0 0 4k', `driver=qcow2,file.filename=${p('c1.qcow2')},backing=`]);
    expect(nob.status).toBe(0);
  });
});

describe('probing', () => {
  it('finds qcow2 without -f and writes into the virtual disk (the header survives)', async () => {
    ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', p('probe.qcow2'), '64M']), 'create');
    const info = ok(await qcoImg(['info', p('probe.qcow2')]), 'info');
    expect(info.stdout).toContain('file format: qcow2\nvirtual size: 64 MiB (67108864 bytes)\n');
    const w = ok(await qcoIo(['-c', 'write -P 0x55 0 4k', p('probe.qcow2')]), 'write');
    expect(w.stderr).toBe('');
    expect((JSON.parse(qemu('qemu-img', ['info', '--output=json', p('probe.qcow2')]).stdout) as QemuImgInfo).format).toBe('qcow2');
    ok(qemu('qemu-io', ['-c', 'read -P 0x55 0 4k', p('probe.qcow2')]), 'qemu-io');
  });
  it('a probed raw image gets QEMU warning and block 0 may not become a qcow2 header; -f raw may', async () => {
    writeFileSync(p('probe.raw'), Buffer.alloc(1 << 20));
    const header = readFileSync(p('probe.qcow2')).subarray(0, 512);
    writeFileSync(p('hdr.bin'), header);
    const theirs = qemu('qemu-io', ['-c', 'read 0 512', p('probe.raw')]);
    const ours = await qcoIo(['-c', 'read 0 512', p('probe.raw')]);
    expect(ours.stderr.replace(/qco-io/g, 'qemu-io')).toBe(theirs.stderr);
    expect(ours.stderr).toBe(
      `WARNING: Image format was not specified for '${p('probe.raw')}' and probing guessed raw.\n` +
        '         Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted.\n' +
        "         Specify the 'raw' format explicitly to remove the restrictions.\n",
    );
    // Writing a qcow2 magic into sector 0 of a probed raw image: EPERM, as qemu-io reports it.
    const blk = await BlockBackend.open(p('probe.raw'), { onWarning: () => {} });
    await expect(blk.pwrite(0, new Uint8Array(header))).rejects.toThrow('Operation not permitted');
    await blk.pwrite(512, new Uint8Array(header)); // elsewhere is fine
    await blk.pwrite(0, new Uint8Array(512).fill(7)); // so is sector 0 with data no format claims
    await blk.close();
    const explicit = await BlockBackend.open(p('probe.raw'), { format: 'raw' });
    await explicit.pwrite(0, new Uint8Array(header));
    await explicit.close();
    expect(readFileSync(p('probe.raw')).subarray(0, 4).toString('latin1')).toBe('QFI\xfb');
  });
});

describe('qco-img convert', () => {
  it('raw → qcow2 → raw, compressed, and from a chain of depth 3: qemu-img compare finds them identical', async () => {
    const raw = p('conv.raw');
    const data = Buffer.alloc(3 << 20);
    for (let i = 0; i < data.length; i += 4096) data.fill((i >> 12) & 0xff, i, i + 2048);
    writeFileSync(raw, data);
    ok(await qcoImg(['convert', '-f', 'raw', '-O', 'qcow2', raw, p('conv.qcow2')]), 'to qcow2');
    ok(await qcoImg(['convert', '-f', 'raw', '-O', 'qcow2', '-c', '-m', '4', '-W', raw, p('conv-c.qcow2')]), 'compressed');
    ok(await qcoImg(['convert', '-O', 'raw', p('conv-c.qcow2'), p('back.raw')]), 'back to raw');
    ok(await qcoImg(['convert', '-O', 'qcow2', p('c2.qcow2'), p('flat.qcow2')]), 'chain');
    for (const img of ['conv.qcow2', 'conv-c.qcow2', 'flat.qcow2']) checkClean(p(img));
    const compressed = JSON.parse(qemu('qemu-img', ['check', '--output=json', p('conv-c.qcow2')]).stdout) as { 'compressed-clusters'?: number };
    expect(compressed['compressed-clusters']).toBeGreaterThan(0);
    expect(ok(qemu('qemu-img', ['compare', raw, p('conv.qcow2')]), 'cmp1').stdout).toBe('Images are identical.\n');
    expect(ok(qemu('qemu-img', ['compare', raw, p('conv-c.qcow2')]), 'cmp2').stdout).toBe('Images are identical.\n');
    expect(ok(qemu('qemu-img', ['compare', raw, p('back.raw')]), 'cmp3').stdout).toBe('Images are identical.\n');
    expect(ok(qemu('qemu-img', ['compare', p('c2.qcow2'), p('flat.qcow2')]), 'cmp4').stdout).toBe('Images are identical.\n');
    // qemu-img's own conversions read identically through ours.
    ok(qemu('qemu-img', ['convert', '-c', '-O', 'qcow2', raw, p('theirs-c.qcow2')]), 'qemu-img convert -c');
    expect(ok(await qcoImg(['compare', p('theirs-c.qcow2'), p('conv-c.qcow2')]), 'qco-img compare').stdout).toBe('Images are identical.\n');
  });
});

describe('qco-img map, check, commit, rebase, resize, snapshot', () => {
  it('map --output=json equals qemu-img map on images qemu-img made (allocated, zero, unallocated, compressed, backing)', async () => {
    ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', p('m0.qcow2'), '8M']), 'm0');
    // Data clusters are written whole: our file driver reports no holes inside them (no SEEK_HOLE), qemu-img's does.
    ok(qemu('qemu-io', ['-c', 'write -P 1 0 192k', '-c', 'write -c -P 2 1M 64k', '-c', 'write -z 2M 64k', '-c', 'write -P 3 3M 64k', '-c', 'discard 64k 64k', p('m0.qcow2')]), 'fill');
    ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'm0.qcow2', '-F', 'qcow2', p('m1.qcow2')]), 'm1');
    ok(qemu('qemu-io', ['-c', 'write -P 4 128k 64k', '-c', 'write -z -u 3M 64k', p('m1.qcow2')]), 'fill m1');
    for (const img of ['m0.qcow2', 'm1.qcow2']) {
      const theirs = ok(qemu('qemu-img', ['map', '--output=json', p(img)]), 'qemu-img map').stdout;
      expect((await qcoImg(['map', '--output=json', p(img)])).stdout).toBe(theirs);
      const human = qemu('qemu-img', ['map', p(img)]);
      const ourHuman = await qcoImg(['map', p(img)]);
      expect([ourHuman.status, ourHuman.stdout, ourHuman.stderr.replace('qco-img', 'qemu-img')]).toEqual([human.status, human.stdout, human.stderr]);
    }
  });
  it('check counts leaks as qemu-img does and -r leaks repairs them', async () => {
    ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', p('leak.qcow2'), '1M']), 'create');
    ok(qemu('qemu-io', ['-c', 'write -P 1 0 192k', p('leak.qcow2')]), 'write');
    // Drop the L2 entry of the third data cluster: that cluster leaks.
    const buf = readFileSync(p('leak.qcow2'));
    buf.fill(0, 0x40000 + 16, 0x40000 + 24);
    writeFileSync(p('leak.qcow2'), buf);
    copyFileSync(p('leak.qcow2'), p('leak2.qcow2'));
    const theirs = qemu('qemu-img', ['check', p('leak.qcow2')]);
    const ours = await qcoImg(['check', p('leak.qcow2')]);
    expect(ours.status).toBe(theirs.status);
    expect(ours.status).toBe(3);
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stderr).toBe(theirs.stderr);
    const tj = JSON.parse(qemu('qemu-img', ['check', '--output=json', p('leak.qcow2')]).stdout) as Record<string, unknown>;
    const oj = JSON.parse((await qcoImg(['check', '--output=json', p('leak.qcow2')])).stdout) as Record<string, unknown>;
    expect(oj).toEqual(tj);
    const fix = await qcoImg(['check', '-r', 'leaks', p('leak.qcow2')]);
    expect(fix.status).toBe(0);
    expect(fix.stdout).toContain('The following inconsistencies were found and repaired:\n\n    1 leaked clusters\n    0 corruptions\n\nDouble checking the fixed image now...\nNo errors were found on the image.\n');
    checkClean(p('leak.qcow2'));
    ok(qemu('qemu-io', ['-c', 'read -P 1 0 128k', p('leak.qcow2')]), 'data kept');
  });
  it('commit gives what qemu-img commit gives', async () => {
    for (const who of ['ours', 'theirs']) {
      ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', p(`cb-${who}.qcow2`), '4M']), 'base');
      ok(qemu('qemu-io', ['-c', 'write -P 1 0 4M', p(`cb-${who}.qcow2`)]), 'fill');
      ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', `cb-${who}.qcow2`, '-F', 'qcow2', p(`co-${who}.qcow2`)]), 'over');
      ok(qemu('qemu-io', ['-c', 'write -P 2 100k 3k', '-c', 'write -z 1M 64k', '-c', 'write -P 3 3M 1', p(`co-${who}.qcow2`)]), 'fill over');
    }
    expect(ok(await qcoImg(['commit', p('co-ours.qcow2')]), 'commit').stdout).toBe('Image committed.\n');
    ok(qemu('qemu-img', ['commit', '-q', p('co-theirs.qcow2')]), 'qemu-img commit');
    checkClean(p('cb-ours.qcow2'));
    checkClean(p('co-ours.qcow2'));
    expect(ok(qemu('qemu-img', ['compare', p('cb-ours.qcow2'), p('cb-theirs.qcow2')]), 'base').stdout).toBe('Images are identical.\n');
    expect(qemu('qemu-img', ['map', '--output=json', p('co-ours.qcow2')]).stdout.replace(/cb-ours/g, 'cb-theirs')).toBe(qemu('qemu-img', ['map', '--output=json', p('co-theirs.qcow2')]).stdout);
  });
  it('rebase (safe and -u) gives what qemu-img rebase gives', async () => {
    for (const who of ['ours', 'theirs']) {
      ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', p(`ra-${who}.qcow2`), '2M']), 'a');
      ok(qemu('qemu-io', ['-c', 'write -P 1 0 2M', p(`ra-${who}.qcow2`)]), 'fill a');
      ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', p(`rb-${who}.qcow2`), '2M']), 'b');
      ok(qemu('qemu-io', ['-c', 'write -P 1 0 1M', '-c', 'write -P 9 1M 64k', p(`rb-${who}.qcow2`)]), 'fill b');
      ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', `ra-${who}.qcow2`, '-F', 'qcow2', p(`ro-${who}.qcow2`)]), 'over');
      ok(qemu('qemu-io', ['-c', 'write -P 5 0 4k', p(`ro-${who}.qcow2`)]), 'fill over');
    }
    ok(await qcoImg(['rebase', '-b', 'rb-ours.qcow2', '-F', 'qcow2', p('ro-ours.qcow2')]), 'rebase');
    ok(qemu('qemu-img', ['rebase', '-b', 'rb-theirs.qcow2', '-F', 'qcow2', p('ro-theirs.qcow2')]), 'qemu-img rebase');
    checkClean(p('ro-ours.qcow2'));
    expect(ok(qemu('qemu-img', ['compare', p('ro-ours.qcow2'), p('ro-theirs.qcow2')]), 'cmp').stdout).toBe('Images are identical.\n');
    ok(qemu('qemu-io', ['-c', 'read -P 5 0 4k', '-c', 'read -P 1 4k 1020k', '-c', 'read -P 1 1M 1M', p('ro-ours.qcow2')]), 'content kept');
    const info = JSON.parse(qemu('qemu-img', ['info', '--output=json', p('ro-ours.qcow2')]).stdout) as Record<string, unknown>;
    expect(info['backing-filename']).toBe('rb-ours.qcow2');
    ok(await qcoImg(['rebase', '-u', '-b', 'ra-ours.qcow2', '-F', 'qcow2', p('ro-ours.qcow2')]), 'rebase -u');
    expect((JSON.parse(qemu('qemu-img', ['info', '--output=json', p('ro-ours.qcow2')]).stdout) as Record<string, unknown>)['backing-filename']).toBe('ra-ours.qcow2');
    checkClean(p('ro-ours.qcow2'));
  });
  it('resize grows (L1 too), refuses to shrink without --shrink', async () => {
    ok(await qcoImg(['create', '-q', '-f', 'qcow2', p('rs.qcow2'), '16M']), 'create');
    ok(await qcoIo(['-c', 'write -P 7 15M 1M', p('rs.qcow2')]), 'write');
    expect(ok(await qcoImg(['resize', p('rs.qcow2'), '+2G']), 'grow').stdout).toBe('Image resized.\n');
    checkClean(p('rs.qcow2'));
    expect((JSON.parse(qemu('qemu-img', ['info', '--output=json', p('rs.qcow2')]).stdout) as QemuImgInfo)['virtual-size']).toBe((16 << 20) + 2 ** 31);
    ok(qemu('qemu-io', ['-c', 'read -P 7 15M 1M', '-c', 'read -P 0 2G 1M', p('rs.qcow2')]), 'read');
    const s = await qcoImg(['resize', p('rs.qcow2'), '8M']);
    expect(s.status).toBe(1);
    expect(s.stderr).toContain('Use the --shrink option to perform a shrink operation.');
  });
  it('snapshot -l lists what qemu-img snapshot -l lists, and check counts snapshot clusters', async () => {
    ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', p('snap.qcow2'), '4M']), 'create');
    ok(qemu('qemu-io', ['-c', 'write -P 1 0 1M', p('snap.qcow2')]), 'w');
    ok(qemu('qemu-img', ['snapshot', '-c', 'first', p('snap.qcow2')]), 'snap');
    ok(qemu('qemu-img', ['snapshot', '-c', 'second', p('snap.qcow2')]), 'snap2');
    expect((await qcoImg(['snapshot', '-l', p('snap.qcow2')])).stdout).toBe(qemu('qemu-img', ['snapshot', '-l', p('snap.qcow2')]).stdout);
    expect((await qcoImg(['check', p('snap.qcow2')])).stdout).toBe(qemu('qemu-img', ['check', p('snap.qcow2')]).stdout);
    // Writing over clusters a snapshot shares copies them; the image stays clean.
    ok(await qcoIo(['-c', 'write -P 2 0 100k', p('snap.qcow2')]), 'write over shared');
    checkClean(p('snap.qcow2'));
    ok(qemu('qemu-io', ['-c', 'read -P 2 0 100k', '-c', 'read -P 1 100k 924k', p('snap.qcow2')]), 'read');
  });
  it('snapshot -c / -a / -d: qemu-img lists and checks the result, qemu-io reads the snapshot back after apply', async () => {
    const img = p('snapcad.qcow2');
    ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', img, '8M']), 'create');
    ok(qemu('qemu-io', ['-c', 'write -P 0x11 0 256k', '-c', 'write -P 0x12 1M 64k', '-c', 'write -c -P 0x13 2M 64k', img]), 'w1');
    ok(await qcoImg(['snapshot', '-c', 'one', img]), 'create one');
    checkClean(img);
    const listed = ok(qemu('qemu-img', ['snapshot', '-l', img]), 'list').stdout;
    expect(listed).toMatch(/^Snapshot list:\nID +TAG +VM SIZE +DATE +VM CLOCK +ICOUNT\n1 +one +0 B \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 00:00:00\.000 +0\n$/);
    expect((await qcoImg(['snapshot', '-l', img])).stdout).toBe(listed);
    // After the snapshot every cluster is shared: writes copy them (qemu-io's and ours), the image stays clean.
    ok(qemu('qemu-io', ['-c', 'write -P 0x21 0 128k', '-c', 'write -P 0x22 4M 64k', img]), 'w2 qemu-io');
    ok(await qcoIo(['-c', 'write -P 0x23 1M 4k', '-c', 'write -P 0x24 2M 64k', img]), 'w2 qco-io');
    checkClean(img);
    // A second snapshot taken by qemu-img, then ours applies the first: what it held is back, what came later is gone.
    ok(qemu('qemu-img', ['snapshot', '-c', 'two', img]), 'create two');
    ok(await qcoImg(['snapshot', '-a', 'one', img]), 'apply one');
    checkClean(img);
    ok(qemu('qemu-io', ['-c', 'read -P 0x11 0 256k', '-c', 'read -P 0x12 1M 64k', '-c', 'read -P 0x13 2M 64k', '-c', 'read -P 0 4M 64k', img]), 'read one');
    // Writing into the applied snapshot's clusters copies them again; applying `two` (by id) brings the later data back.
    ok(await qcoIo(['-c', 'write -P 0x31 0 64k', img]), 'w3');
    checkClean(img);
    ok(await qcoImg(['snapshot', '-a', '2', img]), 'apply two');
    ok(qemu('qemu-io', ['-c', 'read -P 0x21 0 128k', '-c', 'read -P 0x11 128k 128k', '-c', 'read -P 0x23 1M 4k', '-c', 'read -P 0x24 2M 64k', '-c', 'read -P 0x22 4M 64k', img]), 'read two');
    // Deleting both (by name, as qemu-img does) leaves no snapshot and no leaked cluster; the data stays.
    ok(await qcoImg(['snapshot', '-d', 'one', img]), 'delete one');
    checkClean(img);
    ok(await qcoImg(['snapshot', '-d', 'two', img]), 'delete two');
    checkClean(img);
    expect(qemu('qemu-img', ['snapshot', '-l', img]).stdout).toBe('');
    ok(qemu('qemu-io', ['-c', 'read -P 0x21 0 128k', '-c', 'read -P 0x24 2M 64k', img]), 'read after delete');
    // qemu-img's messages for what cannot be found, and for a format without snapshots.
    expect((await qcoImg(['snapshot', '-a', 'nosuch', img])).stderr).toBe("qco-img: Could not apply snapshot 'nosuch': Failed to load snapshot: No such file or directory\n");
    expect((await qcoImg(['snapshot', '-d', 'nosuch', img])).stderr).toBe("qco-img: Could not delete snapshot 'nosuch': snapshot not found\n");
    const raw = p('snap.raw');
    writeFileSync(raw, Buffer.alloc(65536));
    expect((await qcoImg(['snapshot', '-f', 'raw', '-c', 'x', raw])).stderr).toBe("qco-img: Could not create snapshot 'x': -95 (Operation not supported)\n");
  });
});

describe('qco-io discard, alloc, map, write -z -u', () => {
  it('prints what qemu-io prints and leaves the same allocation', async () => {
    const cmds = ['write -P 1 0 192k', 'discard 0 64k', 'write -z -u 64k 64k', 'write -z 128k 64k', 'discard 200k 8k', 'alloc 0 64k', 'alloc 0 1M', 'alloc 512k 4k', 'map'];
    for (const who of ['ours', 'theirs']) ok(qemu('qemu-img', ['create', '-q', '-f', 'qcow2', p(`io-${who}.qcow2`), '1M']), 'create');
    const ours = ok(await qcoIo([...cmds.flatMap((c) => ['-c', c]), p('io-ours.qcow2')]), 'qco-io');
    const theirs = ok(qemu('qemu-io', [...cmds.flatMap((c) => ['-c', c]), p('io-theirs.qcow2')]), 'qemu-io');
    expect(lines(ours.stdout)).toEqual(lines(theirs.stdout));
    checkClean(p('io-ours.qcow2'));
    expect(qemu('qemu-img', ['map', '--output=json', p('io-ours.qcow2')]).stdout.replace(/"offset": \d+/g, 'o')).toBe(
      qemu('qemu-img', ['map', '--output=json', p('io-theirs.qcow2')]).stdout.replace(/"offset": \d+/g, 'o'),
    );
  });
});
