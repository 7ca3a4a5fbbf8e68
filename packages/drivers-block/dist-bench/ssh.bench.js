import {
  measuredFromSamples,
  packageDir,
  run,
  startSshd,
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

// bench/ssh.bench.ts
init_esm_shims();
import { randomBytes } from "crypto";
import { existsSync, rmSync, truncateSync, writeFileSync } from "fs";
import { join } from "path";
import { useBackend } from "@qco/core";
var MiB = 1024 * 1024;
var SIZE = 256 * MiB;
var REQUEST = 2 * MiB;
var IN_FLIGHT = 8;
async function setUp(direction) {
  const peer = await startSshd();
  const agent = peer.startAgent();
  const remote = join(peer.dataDir, "image.raw");
  const local = join(peer.dir, "local.raw");
  const data = randomBytes(SIZE);
  if (direction === "read") {
    writeFileSync(remote, data);
  } else {
    writeFileSync(local, data);
    writeFileSync(remote, "");
    truncateSync(remote, SIZE);
  }
  return {
    peer,
    remote,
    local,
    env: agent.env,
    url: (path) => peer.url(path, `?host_key_check=sha256:${peer.hostKeyHash()}`)
  };
}
async function transfer(tool, direction, s) {
  const out = join(s.peer.dir, "out.raw");
  const scpArgs = ["-q", "-i", s.peer.clientKeyPath, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-P", String(s.peer.port)];
  const remoteScp = `${s.peer.user}@127.0.0.1:${s.remote}`;
  switch (tool) {
    case "scp":
      return direction === "read" ? run("/usr/bin/scp", [...scpArgs, remoteScp, out]) : run("/usr/bin/scp", [...scpArgs, s.local, remoteScp]);
    case "qemu-img-convert":
      return direction === "read" ? run("/usr/bin/qemu-img", ["convert", "-f", "raw", "-O", "raw", s.url(s.remote), out], s.env) : run("/usr/bin/qemu-img", ["convert", "-n", "-f", "raw", "-O", "raw", s.local, s.url(s.remote)], s.env);
    case "qco-img-convert": {
      const cli = join(packageDir(), "dist", "qco-img.js");
      if (!existsSync(cli)) throw new Error(`${cli} is missing: build @qco/drivers-block (qco-img) first`);
      return direction === "read" ? run(process.execPath, [cli, "convert", "-f", "raw", "-O", "raw", s.url(s.remote), out], s.env) : run(process.execPath, [cli, "convert", "-n", "-f", "raw", "-O", "raw", s.local, s.url(s.remote)], s.env);
    }
    case "qco-blk": {
      const blk = await BlockBackend.open(s.url(s.remote), { options: { "identity-file": s.peer.clientKeyPath }, readOnly: direction === "read" });
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
      await blk.close();
      return;
    }
  }
}
var TOOLS = ["qemu-img-convert", "scp", "qco-img-convert", "qco-blk"];
var module = {
  suite: "block/ssh",
  cases({ backends }) {
    return transferCases("ssh", "scp", backends, SIZE, IN_FLIGHT);
  },
  async prepare(spec) {
    if (spec.backend) useBackend(spec.backend);
    const [, direction, tool] = spec.name.split("/");
    if (!TOOLS.includes(tool)) throw new Error(`unknown ssh bench case ${spec.name}`);
    return {
      kind: "measured",
      run: async () => {
        const s = await setUp(direction);
        if (tool === "qco-img-convert" && spec.backend) s.env["QCO_BACKEND"] = spec.backend;
        try {
          await transfer(tool, direction, s);
          const samples = [];
          const n = Math.max(2, Number(process.env["QCO_SSH_BENCH_SAMPLES"] ?? 4));
          for (let i = 0; i < n; i++) {
            const t0 = process.hrtime.bigint();
            await transfer(tool, direction, s);
            samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
          }
          return measuredFromSamples(samples);
        } finally {
          await s.peer.stop();
          rmSync(s.peer.dir, { recursive: true, force: true });
        }
      }
    };
  }
};
var ssh_bench_default = module;
export {
  ssh_bench_default as default
};
//# sourceMappingURL=ssh.bench.js.map