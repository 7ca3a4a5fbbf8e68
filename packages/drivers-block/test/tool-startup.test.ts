/**
 * Start-up of the tools: `qco-img --version`, `--help`, a usage error and
 * `qco-io -c quit` register no driver and load no subcommand; the first
 * command that opens an image does. Runs in its own file, so its module
 * state is its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blockDrivers } from '../src/block/block-registry.js';
import { captureStreams } from '../src/tools/common/streams.js';
import { qcoImgMain } from '../src/tools/qco-img.js';
import { qcoIoMain } from '../src/tools/qco-io.js';

const dir = mkdtempSync(join(tmpdir(), 'qco-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tool start-up', () => {
  it('qco-img --version, --help and an unknown command load no driver; qco-io -c quit neither', async () => {
    const io = captureStreams();
    expect(await qcoImgMain(['--version'], io)).toBe(0);
    expect(await qcoImgMain(['--help'], io)).toBe(0);
    expect(await qcoImgMain(['nope'], io)).toBe(1);
    expect(io.stderr).toBe("qco-img: Command not found: nope\nTry 'qco-img --help' for more information\n");
    expect(await qcoIoMain(['-c', 'quit'], io)).toBe(0);
    expect(io.stdout.startsWith('qco-img version 0.1.0\n')).toBe(true);
    expect(blockDrivers()).toHaveLength(0);
  });

  it('the first image opened registers the built-in drivers', async () => {
    const img = join(dir, 'a.raw');
    writeFileSync(img, Buffer.alloc(65536));
    const io = captureStreams();
    expect(await qcoIoMain(['-f', 'raw', '-c', 'read 0 512', img], io)).toBe(0);
    expect(io.stdout).toContain('read 512/512 bytes at offset 0');
    expect(blockDrivers().map((d) => d.formatName)).toEqual(expect.arrayContaining(['file', 'raw', 'qcow2', 'nfs']));
  });
});
