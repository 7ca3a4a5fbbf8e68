import {
  measuredFromSamples,
  packageDir,
  run,
  startGanesha,
  transferCases
} from "./chunk-WOGDJD6F.js";
import {
  BlockBackend
} from "./chunk-PQGAAP2A.js";
import "./chunk-DBQINLFL.js";
import "./chunk-L5Q22D6J.js";
import {
  init_esm_shims
} from "./chunk-DXPUYVZG.js";

// bench/nfs.bench.ts
init_esm_shims();
import { randomBytes } from "crypto";
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { useBackend } from "@qco/core";
var MiB = 1024 * 1024;
var SIZE = 256 * MiB;
var REQUEST = 2 * MiB;
var IN_FLIGHT = 8;
async function setUp(direction) {
  const peer = await startGanesha();
  const dir = mkdtempSync(join(tmpdir(), "qco-nfs-bench-"));
  const remote = join(peer.exportDir, "image.raw");
  const local = join(dir, "local.raw");
  const data = randomBytes(SIZE);
  if (direction === "read") {
    writeFileSync(remote, data);
  } else {
    writeFileSync(local, data);
    writeFileSync(remote, "");
    truncateSync(remote, SIZE);
  }
  return { peer, dir, local, remote, url: peer.url("image.raw") };
}
function clean(tool, s, run2) {
  rmSync(join(s.dir, "out.raw"), { force: true });
  if (tool !== "nfs-cp") return s.url;
  rmSync(join(s.peer.exportDir, `copy-${run2 - 1}.raw`), { force: true });
  return s.peer.url(`copy-${run2}.raw`);
}
async function transfer(tool, direction, s, env, target) {
  const out = join(s.dir, "out.raw");
  switch (tool) {
    case "nfs-cp":
      return direction === "read" ? run("/usr/bin/nfs-cp", [s.url, out]) : run("/usr/bin/nfs-cp", [s.local, target]);
    case "qemu-img-convert":
      return direction === "read" ? run("/usr/bin/qemu-img", ["convert", "-f", "raw", "-O", "raw", s.url, out]) : run("/usr/bin/qemu-img", ["convert", "-n", "-f", "raw", "-O", "raw", s.local, s.url]);
    case "qco-img-convert": {
      const built = ["qco-img.js", "qco-img.cjs"].map((f) => join(packageDir(), "dist", f)).find((f) => existsSync(f));
      const cli = process.env["QCO_IMG_JS"] ?? built ?? join(packageDir(), "dist", "qco-img.js");
      if (!existsSync(cli)) throw new Error(`${cli} is missing: build @qco/drivers-block (qco-img) first`);
      return direction === "read" ? run(process.execPath, [cli, "convert", "-f", "raw", "-O", "raw", s.url, out], env) : run(process.execPath, [cli, "convert", "-n", "-f", "raw", "-O", "raw", s.local, s.url], env);
    }
    case "qco-blk": {
      const blk = await BlockBackend.open(s.url, { readOnly: direction === "read" });
      const buf = direction === "write" ? randomBytes(REQUEST) : null;
      let next = 0;
      const worker = async () => {
        while (next < SIZE) {
          const off = next;
          next += REQUEST;
          if (buf === null) await blk.pread(off, REQUEST);
          else await blk.pwrite(off, buf);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      if (buf !== null) await blk.flush();
      await blk.close();
      return;
    }
  }
}
var TOOLS = ["qemu-img-convert", "nfs-cp", "qco-img-convert", "qco-blk"];
var module = {
  suite: "block/nfs",
  cases({ backends }) {
    return transferCases("nfs", "nfs-cp", backends, SIZE, IN_FLIGHT);
  },
  async prepare(spec) {
    if (spec.backend) useBackend(spec.backend);
    const [, direction, tool] = spec.name.split("/");
    if (!TOOLS.includes(tool)) throw new Error(`unknown nfs bench case ${spec.name}`);
    return {
      kind: "measured",
      run: async () => {
        const s = await setUp(direction);
        const env = { ...process.env, ...spec.backend ? { QCO_BACKEND: spec.backend } : {} };
        try {
          await transfer(tool, direction, s, env, clean(tool, s, 0));
          const samples = [];
          const n = Math.max(2, Number(process.env["QCO_NFS_BENCH_SAMPLES"] ?? 4));
          for (let i = 0; i < n; i++) {
            const target = clean(tool, s, i + 1);
            const t0 = process.hrtime.bigint();
            await transfer(tool, direction, s, env, target);
            samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
          }
          return measuredFromSamples(samples);
        } finally {
          await s.peer.stop();
          rmSync(s.dir, { recursive: true, force: true });
        }
      }
    };
  }
};
var nfs_bench_default = module;
export {
  nfs_bench_default as default
};
//# sourceMappingURL=nfs.bench.js.map