/**
 * Opening a local file through the package face (the built dist/index.js, as a
 * consumer imports it) loads no remote driver's library: neither ssh2 (the ssh
 * driver) nor json-pack (the nfs driver's XDR codecs, bundled into the nfs
 * chunk of dist/). They load inside the drivers' `open`, so only an ssh:// or
 * nfs:// image pays for them. Nor does it load Node's sockets, TLS, zlib,
 * crypto or worker_threads: the NBD client and server, the vhost-user export
 * and the TLS objects are behind their own subpaths or opens, and compressed
 * clusters and worker threads take their modules when first used. The child records every module Node loads (a load
 * hook) and Node's CommonJS cache; the same child then opens an ssh:// and an
 * nfs:// URL on a closed port, so a probe that could not see the libraries fails.
 * The tools go further: a command compiles the code of the drivers it opens
 * and no other (the qcow2 node and the nvme node with its emulator load with
 * their first open).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const face = join(pkg, 'dist', 'index.js');
const dir = mkdtempSync(join(tmpdir(), 'qco-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The load hook (runs on Node's loader thread): append each module's URL to the log named by `data`. */
const HOOK = `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data; }
export async function load(url, context, next) { appendFileSync(log, url + '\\n'); return next(url, context); }`;

/**
 * Open argv[2] (raw) through the face at argv[1], close it, and print which driver
 * libraries are loaded; then open ssh:// and nfs:// on a closed port (both fail to
 * connect, after loading their libraries) and print them again.
 */
const CHILD = `
import { register, createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const [faceUrl, image, log, hook] = process.argv.slice(1);
register('data:text/javascript,' + encodeURIComponent(hook), import.meta.url, { data: log });
const require = createRequire(process.cwd() + '/');
const JSON_PACK = 'node_modules/@jsonjoy.com/json-pack/';
function loaded() {
  const files = [...readFileSync(log, 'utf8').split('\\n').filter((u) => u.startsWith('file:')).map((u) => new URL(u).pathname), ...Object.keys(require.cache)];
  const found = new Set();
  for (const f of files) {
    if (f.includes('/node_modules/ssh2/')) found.add('ssh2');
    if (f.includes(JSON_PACK) || (f.startsWith(process.cwd() + '/dist/') && readFileSync(f, 'utf8').includes(JSON_PACK))) found.add('json-pack');
  }
  return [...found].sort();
}
const { BlockBackend } = await import(faceUrl);
const blk = await BlockBackend.open(image, { format: 'raw' });
const length = await blk.getLength();
await blk.close();
const afterLocal = loaded();
const refused = [];
for (const url of ['ssh://127.0.0.1:1/x.img', 'nfs://127.0.0.1:1/export/x.img']) {
  try {
    await (await BlockBackend.open(url, { format: 'raw' })).close();
  } catch (err) {
    refused.push(url.split(':')[0]);
  }
}
console.log(JSON.stringify({ length, afterLocal, refused, afterRemote: loaded() }));
`;

/** Open argv[2] (raw) through the face at argv[1], close it, and print which of BUILTINS Node has loaded (no hooks: they would start a thread). */
const BUILTINS_CHILD = `
const [faceUrl, image] = process.argv.slice(1);
const { BlockBackend } = await import(faceUrl);
const blk = await BlockBackend.open(image, { format: 'raw' });
await blk.getLength();
await blk.close();
const loaded = ['net', 'tls', 'zlib', 'crypto', 'worker_threads'].filter((m) => process.moduleLoadList.includes('NativeModule ' + m));
// A cut that missed a library would show here; node:fs is the control that the list is read right.
console.log(JSON.stringify({ loaded, control: process.moduleLoadList.includes('NativeModule fs') }));
`;

describe('package face: a local file loads no remote driver library', () => {
  it('import + open of a raw file + close loads none of node:net, tls, zlib, crypto, worker_threads', () => {
    expect(existsSync(face), `${face} is missing: build @qco/drivers-block first`).toBe(true);
    const img = join(dir, 'y.img');
    writeFileSync(img, Buffer.alloc(1 << 20));
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', BUILTINS_CHILD, pathToFileURL(face).href, img], { cwd: pkg, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out)).toEqual({ loaded: [], control: true });
  });

  it('import + open of a raw file + close loads neither ssh2 nor json-pack', () => {
    expect(existsSync(face), `${face} is missing: build @qco/drivers-block first`).toBe(true);
    const img = join(dir, 'x.img');
    writeFileSync(img, Buffer.alloc(1 << 20));
    const log = join(dir, 'loaded.log');
    writeFileSync(log, '');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, pathToFileURL(face).href, img, log, HOOK], { cwd: pkg, encoding: 'utf8', timeout: 60_000 });
    const r = JSON.parse(out) as { length: number; afterLocal: string[]; refused: string[]; afterRemote: string[] };
    expect(r.length).toBe(1 << 20);
    expect(r.afterLocal).toEqual([]);
    // The probe sees them once a remote open has loaded them.
    expect(r.refused).toEqual(['ssh', 'nfs']);
    expect(r.afterRemote).toEqual(['json-pack', 'ssh2']);
  });
});

/** Preloaded into a tool: at exit, write every module in Node's CommonJS cache to the file named by QCO_LOADED_LOG. */
const CACHE_DUMP = `process.on('exit', () => require('node:fs').writeFileSync(process.env.QCO_LOADED_LOG, Object.keys(require.cache).join('\\n')));`;

describe('tools: a command loads the drivers it opens and no other', () => {
  const qcoImg = join(pkg, 'dist', 'qco-img.cjs');
  const preload = join(dir, 'cache-dump.cjs');
  writeFileSync(preload, CACHE_DUMP);

  /** Run qco-img with `args`; the basenames of the modules it loaded. */
  function loadedBy(args: string[]): string[] {
    const log = join(dir, 'tool-loaded.log');
    execFileSync(process.execPath, ['--require', preload, qcoImg, ...args], { cwd: pkg, encoding: 'utf8', timeout: 60_000, env: { ...process.env, QCO_LOADED_LOG: log } });
    return readFileSync(log, 'utf8').split('\n');
  }
  const qcow2Node = (files: string[]): boolean => files.some((f) => /\/dist\/qcow2-node-[^/]*\.cjs$/.test(f));
  const nvmeEmulator = (files: string[]): boolean => files.some((f) => f.includes('/nvme-emulator/'));

  it('qco-img info of a raw file loads neither the qcow2 node nor the nvme emulator; of a qcow2 image, the qcow2 node only', () => {
    expect(existsSync(qcoImg), `${qcoImg} is missing: build @qco/drivers-block first`).toBe(true);
    const raw = join(dir, 'tool.raw');
    writeFileSync(raw, Buffer.alloc(1 << 20));
    const rawLoaded = loadedBy(['info', '-f', 'raw', raw]);
    // The control: the file driver's chunk and the tool itself are in the list.
    expect(rawLoaded.some((f) => f.endsWith('/dist/qco-img.cjs'))).toBe(true);
    expect(qcow2Node(rawLoaded)).toBe(false);
    expect(nvmeEmulator(rawLoaded)).toBe(false);

    const qcow2 = join(dir, 'tool.qcow2');
    execFileSync(process.execPath, [qcoImg, 'create', '-q', '-f', 'qcow2', qcow2, '1M'], { cwd: pkg, timeout: 60_000 });
    const qcow2Loaded = loadedBy(['info', qcow2]);
    expect(qcow2Node(qcow2Loaded)).toBe(true);
    expect(nvmeEmulator(qcow2Loaded)).toBe(false);
  });
});
