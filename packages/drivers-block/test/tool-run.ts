/**
 * Running the command-line tools the tests compare: QEMU's (qemu-img, qemu-io
 * from qemu-utils) as processes, ours (qco-img, qco-io) in this process with
 * their output captured, all giving the same result shape.
 */
import { spawnSync } from 'node:child_process';
import { captureStreams } from '../src/tools/common/streams.js';
import { qcoImgMain } from '../src/tools/qco-img.js';
import { qcoIoMain } from '../src/tools/qco-io.js';

/** What a tool run left: its output streams, both in order as `out`, and its exit status. */
export interface ToolRun {
  readonly stdout: string;
  readonly stderr: string;
  /** stdout then stderr. */
  readonly out: string;
  readonly status: number;
}

function toolRun(stdout: string, stderr: string, status: number): ToolRun {
  return { stdout, stderr, out: stdout + stderr, status };
}

/** Run one of QEMU's tools; one that cannot start fails the test saying what to install. `timeout` in ms bounds a run that might hang. */
export function qemu(tool: string, args: string[], timeout?: number): ToolRun {
  const r = spawnSync(tool, args, { encoding: 'utf8', ...(timeout === undefined ? {} : { timeout }) });
  if (r.error) throw new Error(`${tool} could not run (install qemu-utils, listed in setup/apt-peers.txt): ${r.error.message}`);
  return toolRun(r.stdout, r.stderr, r.status ?? -1);
}

/** qco-img with `args` in this process. */
export async function qcoImg(args: string[]): Promise<ToolRun> {
  const io = captureStreams();
  const status = await qcoImgMain(args, io);
  return toolRun(io.stdout, io.stderr, status);
}

/** qco-io with `args` in this process. */
export async function qcoIo(args: string[]): Promise<ToolRun> {
  const io = captureStreams();
  const status = await qcoIoMain(args, io);
  return toolRun(io.stdout, io.stderr, status);
}
