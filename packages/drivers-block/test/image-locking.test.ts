/**
 * Image locking for the file driver, judged against qemu-io / qemu-img
 * (Debian qemu-utils, setup/apt-peers.txt): the same lock bytes for the same
 * command (a third open file description holds each lock byte in turn and
 * both tools must fail or succeed alike), and the locking matrix — qco vs
 * qco, qco holding while qemu-io / qemu-img try, qemu-io holding while qco
 * tries, -U, read-only sharing, locking=off — with QEMU's messages, the tool
 * name swapped. OFD locks belong to the open file description, so a holder
 * in this process excludes a second open in this process just as it
 * excludes another process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BlockBackend, FileBlockDriverState, childOf } from '../src/index.js';
import { fileLockAddon } from '../src/drivers/file/file-lock.js';
import { qcoImg, qcoIo, qemu as qemuTool, type ToolRun } from './tool-run.js';


let dir = '';
const held: BlockBackend[] = [];
const children: ChildProcess[] = [];

/** qemu's stderr with its tool name swapped for ours. */
function asQco(text: string): string {
  return text.replaceAll('qemu-img', 'qco-img').replaceAll('qemu-io', 'qco-io');
}

function image(name: string, fill = 0x11, size = 1 << 20): string {
  const p = join(dir, name);
  writeFileSync(p, Buffer.alloc(size, fill));
  return p;
}

/** QEMU's tool, bounded: a lock conflict must not leave it hanging. */
const qemu = (tool: 'qemu-io' | 'qemu-img', args: string[]): ToolRun => qemuTool(tool, args, 30_000);

/** The same tool of ours in this process. */
const qco = (tool: 'qemu-io' | 'qemu-img', args: string[]): Promise<ToolRun> => (tool === 'qemu-io' ? qcoIo(args) : qcoImg(args));

/** Open with qco and keep it open until the test ends. */
async function hold(spec: string, how: Parameters<typeof BlockBackend.open>[1] = {}): Promise<BlockBackend> {
  const blk = await BlockBackend.open(spec, how);
  held.push(blk);
  return blk;
}

/** Start qemu-io holding `img` (it sleeps in a command) and wait until its lock on byte 100 is visible. */
async function qemuIoHolds(img: string, args: string[] = []): Promise<void> {
  const child = spawn('qemu-io', [...args, '-f', 'raw', '-c', 'sleep 20000', img], { stdio: 'ignore' });
  children.push(child);
  const lib = fileLockAddon();
  if (lib === null) throw new Error('the file-lock addon is not built (pnpm --filter @qco/drivers-block build)');
  const fd = openSync(img, 'r');
  try {
    for (let i = 0; i < 500; i++) {
      if (lib.testLock(fd, 100, 1, 1) !== 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('qemu-io did not lock the image within 10 s');
  } finally {
    closeSync(fd);
  }
}

/** OFD lock ranges /proc/locks shows on `img`'s inode, as "start-end TYPE". */
function procLocks(img: string): string[] {
  const ino = statSync(img).ino;
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .filter((l) => l.includes('OFDLCK') && l.split(/\s+/)[5]?.endsWith(`:${ino}`))
    .map((l) => {
      const f = l.trim().split(/\s+/);
      return `${f[6]}-${f[7]} ${f[3]}`;
    })
    .sort();
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qco-locking-'));
  if (fileLockAddon() === null) throw new Error('the file-lock addon is not built (pnpm --filter @qco/drivers-block build)');
});
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const b of held.splice(0)) await b.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('/locking/bytes', () => {
  // Every command with the image under test as c.raw; both tools must need exactly the same bytes.
  const commands: Record<string, ['qemu-io' | 'qemu-img', (img: string) => string[]]> = {
    'qemu-io read-write': ['qemu-io', (img) => ['-f', 'raw', '-c', 'read 0 1', img]],
    'qemu-io -r': ['qemu-io', (img) => ['-r', '-f', 'raw', '-c', 'read 0 1', img]],
    'qemu-io -r -U': ['qemu-io', (img) => ['-r', '-U', '-f', 'raw', '-c', 'read 0 1', img]],
    'qemu-img info': ['qemu-img', (img) => ['info', img]],
    'qemu-img bench': ['qemu-img', (img) => ['bench', '-f', 'raw', '-c', '1', img]],
    'qemu-img bench -w': ['qemu-img', (img) => ['bench', '-f', 'raw', '-w', '-c', '1', img]],
    'qemu-img convert (source)': ['qemu-img', (img) => ['convert', '-f', 'raw', '-O', 'raw', img, join(dir, 'out.raw')]],
    'qemu-img convert -U (source)': ['qemu-img', (img) => ['convert', '-U', '-f', 'raw', '-O', 'raw', img, join(dir, 'out.raw')]],
    'qemu-img convert (target)': ['qemu-img', (img) => ['convert', '-f', 'raw', '-O', 'raw', join(dir, 'src.raw'), img]],
    'qemu-img convert -n (target)': ['qemu-img', (img) => ['convert', '-n', '-f', 'raw', '-O', 'raw', join(dir, 'src.raw'), img]],
    'qemu-img create': ['qemu-img', (img) => ['create', '-f', 'raw', img, '1M']],
  };
  const bytes = [100, 101, 102, 103, 200, 201, 202, 203];

  for (const [name, [tool, argv]] of Object.entries(commands)) {
    it(`${name} needs the same lock bytes in qco as in qemu`, async () => {
      image('src.raw', 0x22);
      const img = image('c.raw');
      const lib = fileLockAddon();
      if (lib === null) throw new Error('file-lock addon missing');
      const fd = openSync(img, 'r+');
      const refusedBy = { qemu: [] as string[], qco: [] as string[] };
      try {
        for (const kind of [2, 1] as const) {
          for (const b of bytes) {
            expect(lib.setLock(fd, b, 1, kind)).toBe(0);
            const label = `${kind === 2 ? 'exclusive' : 'shared'} ${b}`;
            if (qemu(tool, argv(img)).status !== 0) refusedBy.qemu.push(label);
            if ((await qco(tool, argv(img))).status !== 0) refusedBy.qco.push(label);
            expect(lib.setLock(fd, b, 1, 0)).toBe(0);
          }
        }
      } finally {
        closeSync(fd);
      }
      expect(refusedBy.qco).toEqual(refusedBy.qemu);
    });
  }

  it('a read-write qco-io holds the ranges /proc/locks shows for qemu-io', async () => {
    const img = image('p.raw');
    await qemuIoHolds(img);
    const theirs = procLocks(img);
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const blk = await hold(img);
    expect(((childOf(blk.bs, 'file') ?? blk.bs) as FileBlockDriverState).lockedBytes).toEqual([100, 101]);
    expect(procLocks(img)).toEqual(theirs);
    expect(theirs).toEqual(['100-101 READ']);
  });
});

describe('/locking/matrix', () => {
  it('qco vs qco: convert of a file onto itself is refused before anything is cleared', async () => {
    const img = image('same.raw', 0x5a);
    const r = await qco('qemu-img', ['convert', '-O', 'raw', img, img]);
    const q = qemu('qemu-img', ['convert', '-O', 'raw', img, img]);
    expect(q.status).toBe(1);
    expect(r.status).toBe(q.status);
    expect(r.stderr).toBe(asQco(q.stderr));
    expect(readFileSync(img).every((b) => b === 0x5a)).toBe(true);
  });

  it('convert onto its own source is refused with -U and with locking=off too (qemu-img would clear it)', async () => {
    const img = image('same2.raw', 0x5a);
    for (const args of [
      ['convert', '-U', '-O', 'raw', img, img],
      ['convert', '-O', 'raw', `json:{"driver":"file","filename":"${img}","locking":"off"}`, img],
    ]) {
      const r = await qco('qemu-img', args);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`qco-img: ${img}: error while converting raw: Failed to get "write" lock\nIs another process using the image [${img}]?\n`);
      expect(readFileSync(img).every((b) => b === 0x5a)).toBe(true);
    }
  });

  it('qco vs qco: a convert source keeps writers out; readers and -U readers share', async () => {
    const img = image('m1.raw');
    await hold(img, { readOnly: true, noShare: true });
    const w = await qco('qemu-io', ['-f', 'raw', '-c', 'write 0 512', img]);
    expect(w.status).toBe(1);
    expect(w.stderr).toBe(`qco-io: can't open device ${img}: Failed to get "write" lock\nIs another process using the image [${img}]?\n`);
    expect((await qco('qemu-io', ['-r', '-f', 'raw', '-c', 'read 0 512', img])).status).toBe(0);
    expect((await qco('qemu-io', ['-r', '-U', '-f', 'raw', '-c', 'read 0 512', img])).status).toBe(0);
  });

  it('qco holds as a convert source, qemu-io tries to write: refused with the message qco-io gives', async () => {
    const img = image('m2.raw');
    await hold(img, { readOnly: true, noShare: true });
    const q = qemu('qemu-io', ['-f', 'raw', '-c', 'write 0 512', img]);
    const r = await qco('qemu-io', ['-f', 'raw', '-c', 'write 0 512', img]);
    expect(q.status).toBe(1);
    expect(q.stderr).toBe(`qemu-io: can't open device ${img}: Failed to get "write" lock\nIs another process using the image [${img}]?\n`);
    expect([r.status, r.stderr]).toEqual([q.status, asQco(q.stderr)]);
    expect(qemu('qemu-io', ['-r', '-f', 'raw', '-c', 'read 0 512', img]).status).toBe(0);
  });

  it('qco holds read-write: qemu-img convert from it is refused, qemu-io readers and writers share (raw shares writes)', async () => {
    const img = image('m3.raw');
    await hold(img);
    const c = qemu('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', img, join(dir, 'm3-out.raw')]);
    expect(c.status).toBe(1);
    expect(c.stderr).toBe(`qemu-img: Could not open '${img}': Failed to get shared "write" lock\nIs another process using the image [${img}]?\n`);
    expect(qemu('qemu-img', ['convert', '-U', '-f', 'raw', '-O', 'raw', img, join(dir, 'm3-out.raw')]).status).toBe(0);
    expect(qemu('qemu-io', ['-f', 'raw', '-c', 'write 0 512', img]).status).toBe(0);
    expect(qemu('qemu-io', ['-r', '-f', 'raw', '-c', 'read 0 512', img]).status).toBe(0);
    expect(qemu('qemu-img', ['create', '-f', 'raw', img, '1M']).status).toBe(0); // create shares writes too
  });

  it('qemu-io holds read-write: qco-img convert from it is refused with qemu-img\'s message, -U reads anyway', async () => {
    const img = image('m4.raw');
    await qemuIoHolds(img);
    const out = join(dir, 'm4-out.raw');
    const r = await qco('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', img, out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`qco-img: Could not open '${img}': Failed to get shared "write" lock\nIs another process using the image [${img}]?\n`);
    expect((await qco('qemu-img', ['convert', '-U', '-f', 'raw', '-O', 'raw', img, out])).status).toBe(0);
    expect(readFileSync(out).every((b) => b === 0x11)).toBe(true);
    expect((await qco('qemu-io', ['-f', 'raw', '-c', 'write 0 512', img])).status).toBe(0);
  });

  it('qemu-io holds read-only: every reader shares, a convert source too; a create of it is refused', async () => {
    const img = image('m5.raw');
    await qemuIoHolds(img, ['-r']);
    expect((await qco('qemu-io', ['-r', '-f', 'raw', '-c', 'read 0 512', img])).status).toBe(0);
    expect((await qco('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', img, join(dir, 'm5-out.raw')])).status).toBe(0);
    // qemu-io -r shares everything, so even create goes through in both tools.
    const q = qemu('qemu-img', ['create', '-f', 'raw', img, '1M']);
    const r = await qco('qemu-img', ['create', '-f', 'raw', img, '1M']);
    expect([r.status, r.stdout]).toEqual([q.status, q.stdout]);
  });

  it('-U needs a read-only image, with QEMU\'s message in both tools', async () => {
    const img = image('m6.raw');
    const q = qemu('qemu-io', ['-U', '-f', 'raw', '-c', 'read 0 1', img]);
    const r = await qco('qemu-io', ['-U', '-f', 'raw', '-c', 'read 0 1', img]);
    expect(q.stderr).toBe(`qemu-io: can't open device ${img}: force-share=on can only be used with read-only images\n`);
    expect([r.status, r.stderr]).toEqual([q.status, asQco(q.stderr)]);
    const qb = qemu('qemu-img', ['bench', '-U', '-w', '-c', '1', '-f', 'raw', img]);
    const rb = await qco('qemu-img', ['bench', '-U', '-w', '-c', '1', '-f', 'raw', img]);
    expect([rb.status, rb.stderr]).toEqual([qb.status, asQco(qb.stderr)]);
    const opts = `driver=file,filename=${img},force-share=off`;
    const qi = qemu('qemu-img', ['info', '-U', '--image-opts', opts]);
    const ri = await qco('qemu-img', ['info', '-U', '--image-opts', opts]);
    expect([ri.status, ri.stderr]).toEqual([qi.status, asQco(qi.stderr)]);
  });

  it('locking=off takes no lock: nothing in /proc/locks, and a convert from it goes through', async () => {
    const img = image('m7.raw');
    const blk = await hold(`json:{"driver":"file","filename":"${img}","locking":"off"}`);
    expect(((childOf(blk.bs, 'file') ?? blk.bs) as FileBlockDriverState).lockedBytes).toEqual([]);
    expect(procLocks(img)).toEqual([]);
    expect(qemu('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', img, join(dir, 'm7-out.raw')]).status).toBe(0);
    const on = await hold(`json:{"driver":"file","filename":"${img}","locking":"on"}`);
    expect(((childOf(on.bs, 'file') ?? on.bs) as FileBlockDriverState).lockedBytes).toEqual([100, 101]);
    const bad = await qco('qemu-io', ['-c', 'read 0 1', `json:{"driver":"file","filename":"${img}","locking":"bogus"}`]);
    expect(bad.status).toBe(1);
  });

  it('closing releases every byte', async () => {
    const img = image('m8.raw');
    const blk = await BlockBackend.open(img, { readOnly: true, noShare: true });
    expect(procLocks(img)).toEqual(['100-100 READ', '201-201 READ', '203-203 READ']);
    await blk.close();
    expect(procLocks(img)).toEqual([]);
  });
});
