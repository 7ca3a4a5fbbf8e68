import {
  BlockBackend,
  IoVector
} from "./chunk-PQGAAP2A.js";
import "./chunk-DBQINLFL.js";
import "./chunk-L5Q22D6J.js";
import {
  init_esm_shims,
  strerror
} from "./chunk-DXPUYVZG.js";

// bench/block.bench.ts
init_esm_shims();
import { spawnSync } from "child_process";
import { closeSync, existsSync, openSync, statSync as statSync2, writeSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { fileURLToPath } from "url";
import { useBackend } from "@qco/core";

// src/tools/qco-img.ts
init_esm_shims();
import { statSync } from "fs";
import { coroutineCreate, coroutineEnter, deferCallBegin, deferCallEnd } from "@qco/core";
var ImgError = class extends Error {
};
function runBench(blk, p) {
  return blk.getLength().then(
    (imageSize) => new Promise((resolve, reject) => {
      const buf = new Uint8Array(p.depth * p.bufsize).fill(p.write ? p.pattern : 0);
      const qiovs = Array.from({ length: p.depth }, (_, i) => new IoVector(buf.subarray(i * p.bufsize, (i + 1) * p.bufsize)));
      let offset = p.offset;
      let submitted = 0;
      let completed = 0;
      let inFlight = 0;
      let inFlush = false;
      let failed = false;
      const t0 = performance.now();
      const advance = () => {
        const at = offset;
        offset += p.step;
        if (imageSize <= p.bufsize) offset = 0;
        else offset %= imageSize - p.bufsize;
        return at;
      };
      const finish = () => resolve({ requests: completed, seconds: (performance.now() - t0) / 1e3 });
      const submit = (slot) => {
        const qiov = qiovs[slot];
        const at = advance();
        submitted++;
        inFlight++;
        const done = (err) => {
          inFlight--;
          if (failed) return;
          if (err) {
            failed = true;
            reject(new ImgError(`Failed request: ${strerror(err.errno)}`));
            return;
          }
          completed++;
          if (completed >= p.count) {
            if (inFlight === 0) finish();
            return;
          }
          if (p.flushInterval > 0 && p.write && submitted % p.flushInterval === 0 && !inFlush) {
            inFlush = true;
            blk.aioFlush((e) => {
              inFlush = false;
              if (e && !failed) {
                failed = true;
                reject(new ImgError(`Failed flush request: ${strerror(e.errno)}`));
                return;
              }
              if (submitted < p.count) submit(slot);
            });
            return;
          }
          if (submitted < p.count) submit(slot);
          else if (inFlight === 0) finish();
        };
        if (p.write) blk.aioPwritev(at, qiov, {}, done);
        else blk.aioPreadv(at, qiov, {}, done);
      };
      if (p.count === 0) return finish();
      deferCallBegin();
      try {
        for (let i = 0; i < Math.min(p.depth, p.count); i++) submit(i);
      } finally {
        deferCallEnd();
      }
    })
  );
}

// bench/block.bench.ts
var SAMPLES = 3;
var NULL_COUNT = 1e6;
var FILE_COUNT = 1e5;
var FILE_SIZE = 256 << 20;
var NULL_ARGS = ["-c", String(NULL_COUNT), "-d", "64", "-s", "4k", "null-co://"];
function fileArgs(aio, img) {
  return ["-t", "none", "-i", aio, "-c", String(FILE_COUNT), "-d", "64", "-s", "4k", "-S", "4096", "-f", "raw", img];
}
function benchImage() {
  const p = join(tmpdir(), "qco-bench-file.img");
  if (existsSync(p) && statSync2(p).size === FILE_SIZE) return p;
  const fd = openSync(p, "w");
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i * 131 + 7 & 255;
  for (let at = 0; at < FILE_SIZE; at += chunk.length) writeSync(fd, chunk, 0, chunk.length, at);
  closeSync(fd);
  return p;
}
function stats(rates) {
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  const sd = Math.sqrt(rates.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rates.length - 1));
  return { hz: mean, rme: rates.length > 1 ? 100 * 1.96 * sd / Math.sqrt(rates.length) / mean : 0, samples: rates.length };
}
function fioBench(img, count) {
  return {
    kind: "measured",
    async run() {
      const rates = [];
      for (let i = 0; i < SAMPLES; i++) {
        const r = spawnSync(
          "fio",
          ["--name=qco", `--filename=${img}`, "--ioengine=io_uring", "--direct=1", "--rw=read", "--bs=4k", "--iodepth=64", `--number_ios=${count}`, `--size=${FILE_SIZE}`, "--output-format=json"],
          { encoding: "utf8" }
        );
        if (r.error) throw new Error(`fio could not run (Debian fio, setup/apt-peers.txt): ${r.error.message}`);
        if (r.status !== 0) throw new Error(`fio failed: ${r.stderr || r.stdout}`);
        const job = JSON.parse(r.stdout).jobs[0];
        if (!job) throw new Error("fio printed no job");
        rates.push(job.read.iops);
      }
      return stats(rates);
    }
  };
}
function qemuImgBench(args, count) {
  return {
    kind: "measured",
    async run() {
      const rates = [];
      for (let i = 0; i < SAMPLES; i++) {
        const r = spawnSync("qemu-img", ["bench", ...args], { encoding: "utf8" });
        if (r.error) throw new Error(`qemu-img could not run (Debian qemu-utils): ${r.error.message}`);
        const m = /Run completed in ([0-9.]+) seconds/.exec(r.stdout);
        if (r.status !== 0 || !m) throw new Error(`qemu-img bench failed: ${r.stderr || r.stdout}`);
        rates.push(count / Number(m[1]));
      }
      return stats(rates);
    }
  };
}
function qcoImgProcessBench(args, count, backend) {
  const bin = fileURLToPath(new URL("../dist/qco-img.cjs", import.meta.url));
  return {
    kind: "measured",
    async run() {
      const rates = [];
      for (let i = 0; i < SAMPLES; i++) {
        const r = spawnSync(process.execPath, [bin, "bench", ...args], { encoding: "utf8", env: { ...process.env, ...backend ? { QCO_BACKEND: backend } : {} } });
        const m = /Run completed in ([0-9.]+) seconds/.exec(r.stdout);
        if (r.status !== 0 || !m) throw new Error(`qco-img bench failed: ${r.stderr || r.stdout}`);
        rates.push(count / Number(m[1]));
      }
      return stats(rates);
    }
  };
}
function qcoImgBench(spec, how, count) {
  const p = { count, depth: 64, bufsize: 4096, offset: 0, step: 4096, write: false, pattern: 0, flushInterval: 0, drain: true };
  return {
    kind: "measured",
    async run() {
      const rates = [];
      const blk = await BlockBackend.open(spec, how);
      try {
        await runBench(blk, { ...p, count: Math.min(count, 1e4) });
        for (let i = 0; i < SAMPLES; i++) {
          const r = await runBench(blk, p);
          rates.push(r.requests / r.seconds);
        }
      } finally {
        await blk.close();
      }
      return stats(rates);
    }
  };
}
var module = {
  suite: "block",
  cases({ backends }) {
    const nullParams = { depth: 64, size: "4k", requests: NULL_COUNT };
    const fileParams = { depth: 64, size: "4k", requests: FILE_COUNT, cache: "none", image: "256M" };
    const cases = [
      { name: "qemu-img/null-co", unit: "request", params: nullParams },
      { name: "qemu-img/file-threads", unit: "request", params: { ...fileParams, aio: "threads" } },
      { name: "qemu-img/file-io_uring", unit: "request", params: { ...fileParams, aio: "io_uring" } },
      { name: "qemu-img/file-native", unit: "request", params: { ...fileParams, aio: "native" } },
      { name: "fio/file-io_uring", unit: "request", params: { ...fileParams, aio: "io_uring", tool: "fio" } }
    ];
    for (const backend of backends) {
      cases.push({ name: "qco-img/null-co", backend, unit: "request", baseline: "qemu-img/null-co", params: nullParams });
    }
    for (const backend of backends.filter((b) => b === "generator")) {
      cases.push(
        {
          name: "qco-img/file-threads",
          backend,
          unit: "request",
          baseline: "qemu-img/file-threads",
          compareWith: ["qemu-img/file-io_uring"],
          params: { ...fileParams, aio: "threads" }
        },
        {
          name: "qco-img/file-native",
          backend,
          unit: "request",
          baseline: "qemu-img/file-threads",
          compareWith: ["qemu-img/file-native", "qemu-img/file-io_uring"],
          params: { ...fileParams, aio: "native" }
        },
        {
          name: "qco-img/file-io_uring",
          backend,
          unit: "request",
          baseline: "qemu-img/file-io_uring",
          compareWith: ["fio/file-io_uring"],
          params: { ...fileParams, aio: "io_uring" }
        }
      );
    }
    return cases;
  },
  async prepare(spec) {
    if (spec.backend) useBackend(spec.backend);
    switch (spec.name) {
      case "qemu-img/null-co":
        return qemuImgBench(NULL_ARGS, NULL_COUNT);
      case "qemu-img/file-threads":
        return qemuImgBench(fileArgs("threads", benchImage()), FILE_COUNT);
      case "qemu-img/file-native":
        return qemuImgBench(fileArgs("native", benchImage()), FILE_COUNT);
      case "qco-img/file-native":
        return qcoImgProcessBench(fileArgs("native", benchImage()), FILE_COUNT, spec.backend);
      case "qemu-img/file-io_uring":
        return qemuImgBench(fileArgs("io_uring", benchImage()), FILE_COUNT);
      case "qco-img/file-io_uring":
        return qcoImgProcessBench(fileArgs("io_uring", benchImage()), FILE_COUNT, spec.backend);
      case "fio/file-io_uring":
        return fioBench(benchImage(), FILE_COUNT);
      case "qco-img/null-co":
        return qcoImgBench("null-co://", {}, Number(spec.params?.["requests"] ?? NULL_COUNT));
      case "qco-img/file-threads":
        return qcoImgProcessBench(fileArgs("threads", benchImage()), FILE_COUNT, spec.backend);
      default:
        throw new Error(`unknown case ${spec.name}`);
    }
  }
};
var block_bench_default = module;
export {
  block_bench_default as default
};
//# sourceMappingURL=block.bench.js.map