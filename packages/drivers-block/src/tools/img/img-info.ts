/**
 * qco-img info and snapshot: what qemu-img prints about an image, in its
 * human form and field for field in --output=json, for one image or (with
 * --backing-chain) every image of its backing chain.
 */
import { coroutineRun, type Co } from '@qco/core';
import type { BlockBackend } from '../../block/block-backend.js';
import type { BlockDriverInfo, BlockDriverState, BlockSnapshotInfo } from '../../block/block-driver.js';
import { backingFilename, childOf } from '../../block/block-open.js';
import { strerror } from '../../block/errno.js';
import { BlockError } from '../../block/errors.js';
import { sizeToStr } from '../common/format.js';
import type { CliStreams } from '../common/streams.js';
import { ImgError, checkImageOpts, formatAndCache, openImage, parseOpts, usageError } from './img-common.js';

/** qemu's JSON pretty printer: 4 spaces per level, "key": value. */
export function qemuJson(v: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  const inner = ' '.repeat(indent + 4);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[\n' + pad + ']';
    return '[\n' + v.map((x) => inner + qemuJson(x, indent + 4)).join(',\n') + '\n' + pad + ']';
  }
  if (v !== null && typeof v === 'object') {
    const e = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (e.length === 0) return '{\n' + pad + '}';
    return '{\n' + e.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${qemuJson(x, indent + 4)}`).join(',\n') + '\n' + pad + '}';
  }
  return JSON.stringify(v);
}

interface NodeInfo {
  readonly bs: BlockDriverState;
  readonly size: number;
  readonly info: BlockDriverInfo;
  readonly actual?: number;
}

function* nodeInfo(bs: BlockDriverState): Co<NodeInfo> {
  const size = yield* bs.coGetLength();
  const info = bs.coGetInfo ? yield* bs.coGetInfo() : {};
  let actual = info.allocatedSize;
  const file = childOf(bs, 'file');
  if (actual === undefined && file?.coGetInfo) actual = (yield* file.coGetInfo()).allocatedSize;
  return actual === undefined ? { bs, size, info } : { bs, size, info, actual };
}

function snapshotJson(s: BlockSnapshotInfo): Record<string, unknown> {
  return {
    icount: s.icount ?? 0,
    'vm-clock-nsec': s.vmClockNsec % 1e9,
    name: s.name,
    'date-sec': s.dateSec,
    'date-nsec': s.dateNsec,
    'vm-clock-sec': Math.floor(s.vmClockNsec / 1e9),
    id: s.id,
    'vm-state-size': s.vmStateSize,
  };
}

function infoJson(n: NodeInfo, name: string): Record<string, unknown> {
  const bs = n.bs;
  const j: Record<string, unknown> = {};
  if (bs.backingFile !== undefined && bs.backingFormat !== undefined) j['backing-filename-format'] = bs.backingFormat;
  if (n.info.snapshots !== undefined && n.info.snapshots.length > 0) j['snapshots'] = n.info.snapshots.map(snapshotJson);
  j['virtual-size'] = n.size;
  j['filename'] = name;
  if (n.info.clusterSize !== undefined) j['cluster-size'] = n.info.clusterSize;
  j['format'] = bs.driver.formatName;
  if (n.actual !== undefined) j['actual-size'] = n.actual;
  if (n.info.formatSpecific !== undefined) j['format-specific'] = n.info.formatSpecific;
  if (bs.backingFile !== undefined) {
    j['full-backing-filename'] = backingFilename(bs.backingFile, name);
    j['backing-filename'] = bs.backingFile;
  }
  j['dirty-flag'] = n.info.dirty ?? false;
  return j;
}

function pad(s: string, n: number, left = false): string {
  return left ? s.padStart(n) : s.padEnd(n);
}

/** The "Snapshot list:" table qemu-img prints. */
export function snapshotTable(list: readonly BlockSnapshotInfo[]): string {
  let out = 'ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\n';
  for (const s of list) {
    const d = new Date(s.dateSec * 1000);
    const two = (x: number): string => String(x).padStart(2, '0');
    const date = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    const ms = Math.floor(s.vmClockNsec / 1e6);
    const clock = `${two(Math.floor(ms / 3600000))}:${two(Math.floor(ms / 60000) % 60)}:${two(Math.floor(ms / 1000) % 60)}.${String(ms % 1000).padStart(3, '0')}`;
    const vm = s.vmStateSize === 0 ? '0 B' : sizeToStr(s.vmStateSize);
    out += `${pad(s.id, 10)}${pad(s.name, 17)}${pad(vm, 8, true)} ${date} ${clock} ${pad(String(s.icount ?? 0), 10, true)}\n`;
  }
  return out;
}

function infoHuman(n: NodeInfo, name: string): string {
  const bs = n.bs;
  let out = `image: ${name}\nfile format: ${bs.driver.formatName}\n`;
  out += `virtual size: ${sizeToStr(n.size)} (${n.size} bytes)\n`;
  out += `disk size: ${n.actual === undefined ? 'unavailable' : sizeToStr(n.actual)}\n`;
  if (n.info.clusterSize) out += `cluster_size: ${n.info.clusterSize}\n`;
  if (bs.backingFile !== undefined) {
    const full = backingFilename(bs.backingFile, name);
    out += `backing file: ${bs.backingFile}${full !== bs.backingFile ? ` (actual path: ${full})` : ''}\n`;
    if (bs.backingFormat !== undefined) out += `backing file format: ${bs.backingFormat}\n`;
  }
  if (n.info.dirty === true) out += 'cleanly shut down: no\n';
  if (n.info.snapshots !== undefined && n.info.snapshots.length > 0) out += 'Snapshot list:\n' + snapshotTable(n.info.snapshots);
  for (const [k, v] of Object.entries(n.info.extra ?? {})) out += `${k}: ${v}\n`;
  const fs = n.info.formatSpecific;
  if (fs !== undefined) {
    out += 'Format specific information:\n';
    for (const [k, v] of Object.entries(fs.data)) out += `    ${k.replace(/-/g, ' ')}: ${String(v)}\n`;
  }
  return out;
}

/** qemu-img info */
export async function imgInfo(args: readonly string[], io: CliStreams): Promise<void> {
  const { opts: o, operands } = parseOpts(args, 'f:hU', ['image-opts', 'output=', 'format=', 'force-share', 'help', 'backing-chain']);
  if (operands.length !== 1) throw usageError('Expecting one image file name');
  const name = operands[0];
  const output = o.get('output') ?? 'human';
  if (output !== 'human' && output !== 'json') throw new ImgError('--output must be used with human or json as argument.');
  const imageOpts = checkImageOpts(o, name);
  // qemu-img info only inspects the node: it takes no permission, so no lock.
  const blk = await openImage(name, { ...formatAndCache(o), readOnly: true, noIo: true }, imageOpts, io);
  try {
    const chain: { n: NodeInfo; name: string }[] = [];
    let bs: BlockDriverState | undefined = blk.bs;
    let cur = name;
    while (bs !== undefined) {
      const node = bs;
      chain.push({ n: await coroutineRun(nodeInfo, node), name: cur });
      if (!o.has('backing-chain')) break;
      const next = childOf(bs, 'backing');
      if (next !== undefined && bs.backingFile !== undefined) cur = backingFilename(bs.backingFile, cur);
      bs = next;
    }
    if (output === 'json') {
      const docs = chain.map((c) => infoJson(c.n, c.name));
      io.out(qemuJson(o.has('backing-chain') ? docs : docs[0]) + '\n');
    } else {
      io.out(chain.map((c) => infoHuman(c.n, c.name)).join('\n'));
    }
  } finally {
    await blk.close();
  }
}

/** The coroutine_fn a snapshot action needs, or an error saying the format has none. */
function snapshotOp<K extends 'coSnapshotCreate' | 'coSnapshotGoto' | 'coSnapshotDelete'>(blk: BlockBackend, op: K, what: string): NonNullable<BlockBackend['bs'][K]> {
  const fn = blk.bs[op];
  if (fn === undefined) throw new ImgError(`${what}: -95 (Operation not supported)`);
  return fn.bind(blk.bs) as NonNullable<BlockBackend['bs'][K]>;
}

/** qemu-img snapshot: -l lists, -c creates, -a applies, -d deletes (by name, as qemu-img looks them up). */
export async function imgSnapshot(args: readonly string[], io: CliStreams): Promise<void> {
  const { opts: o, operands } = parseOpts(args, 'la:c:d:f:hqU', ['image-opts', 'format=', 'force-share', 'help']);
  const imageOpts = checkImageOpts(o);
  if (['l', 'a', 'c', 'd'].filter((k) => o.has(k)).length > 1) throw new ImgError("Cannot mix '-l', '-a', '-c', '-d'");
  if (operands.length !== 1) throw new ImgError('Expecting one image file name');
  const list = !o.has('c') && !o.has('a') && !o.has('d');
  const blk: BlockBackend = await openImage(operands[0], { ...formatAndCache(o), readOnly: list }, imageOpts, io);
  try {
    if (list) {
      const info = await blk.getInfo();
      const snapshots = info.snapshots ?? [];
      if (snapshots.length > 0) io.out('Snapshot list:\n' + snapshotTable(snapshots));
      return;
    }
    const name = (o.get('c') ?? o.get('a') ?? o.get('d')) as string;
    if (o.has('c')) {
      const what = `Could not create snapshot '${name}'`;
      const create = snapshotOp(blk, 'coSnapshotCreate', what);
      const now = Date.now();
      await coroutineRun(() => create(name, Math.floor(now / 1000), (now % 1000) * 1_000_000)).catch((err: unknown) => {
        const errno = err instanceof BlockError ? err.errno : 5;
        throw new ImgError(`${what}: -${errno} (${strerror(errno)})`);
      });
    } else if (o.has('a')) {
      const what = `Could not apply snapshot '${name}'`;
      const apply = snapshotOp(blk, 'coSnapshotGoto', what);
      await coroutineRun(() => apply(name)).catch((err: unknown) => {
        throw new ImgError(`${what}: ${(err as Error).message}`);
      });
    } else {
      const what = `Could not delete snapshot '${name}'`;
      const del = snapshotOp(blk, 'coSnapshotDelete', what);
      const sn = ((await blk.getInfo()).snapshots ?? []).find((x) => x.name === name);
      if (sn === undefined) throw new ImgError(`${what}: snapshot not found`);
      await coroutineRun(() => del(sn.id, sn.name)).catch((err: unknown) => {
        throw new ImgError(`${what}: ${(err as Error).message}`);
      });
    }
  } finally {
    await blk.close();
  }
}
