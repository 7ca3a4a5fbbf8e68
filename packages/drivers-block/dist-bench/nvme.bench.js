import {
  BlockBackend,
  IoVector
} from "./chunk-PQGAAP2A.js";
import "./chunk-DBQINLFL.js";
import "./chunk-L5Q22D6J.js";
import {
  init_esm_shims
} from "./chunk-DXPUYVZG.js";

// bench/nvme.bench.ts
init_esm_shims();
import { aioBhScheduleOneshot, aioWaitWhile, coroutineCreate, coroutineEnter, deferCallBegin, deferCallEnd, getMainAioContext, useBackend } from "@qco/core";
var OPS = 1024;
var SIZE = 64 << 20;
var BLOCK = 4096;
function makeLoop(depth, batched) {
  const blk = BlockBackend.openSync("nvme://mem:64M/1");
  const bs = blk.bs;
  const ctx = getMainAioContext();
  const buffers = Array.from({ length: depth }, () => new IoVector(new Uint8Array(BLOCK)));
  const free = [...buffers];
  let x = 2654435769;
  let issued = 0;
  let completed = 0;
  let target = 0;
  let failure = null;
  let bhPending = false;
  function* request(qiov) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const offset = (x >>> 0) % (SIZE / BLOCK) * BLOCK;
    try {
      yield* blk.coPreadv(offset, BLOCK, qiov);
    } catch (err) {
      failure = err;
    }
    completed++;
    free.push(qiov);
    if (!bhPending) {
      bhPending = true;
      aioBhScheduleOneshot(ctx, batch, null);
    }
  }
  function batch() {
    bhPending = false;
    if (batched) deferCallBegin();
    try {
      while (issued < target && free.length > 0) {
        issued++;
        coroutineEnter(coroutineCreate(request, free.pop()));
      }
    } finally {
      if (batched) deferCallEnd();
    }
  }
  return {
    blk,
    bs,
    run(ops) {
      target += ops;
      batch();
      aioWaitWhile(ctx, () => completed < target);
      if (failure !== null) throw failure;
    }
  };
}
var DEPTHS = [1, 64];
var name = (depth, batched) => `randread-4k depth=${depth} ${batched ? "batched" : "unbatched"}`;
var perRequest = (what, depth, batched) => `${what}/request depth=${depth} ${batched ? "batched" : "unbatched"}`;
function timeRun(loop) {
  const t = process.hrtime.bigint();
  loop.run(OPS);
  return Number(process.hrtime.bigint() - t) / 1e9;
}
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
function interleaved(depth) {
  const a = makeLoop(depth, true);
  const b = makeLoop(depth, false);
  a.run(256);
  b.run(256);
  return {
    kind: "measured",
    async run() {
      const ratios = [];
      for (let round = 0; round < 30; round++) {
        const ta = timeRun(a);
        const tb = timeRun(b);
        ratios.push(tb / ta);
      }
      a.blk.closeSync();
      b.blk.closeSync();
      const m = median(ratios);
      const mean = ratios.reduce((x, y) => x + y, 0) / ratios.length;
      const sd = Math.sqrt(ratios.reduce((x, y) => x + (y - mean) ** 2, 0) / (ratios.length - 1));
      return { hz: m, rme: 100 * 1.96 * sd / Math.sqrt(ratios.length) / mean, samples: ratios.length };
    }
  };
}
var nvmeBench = {
  suite: "block/nvme",
  cases() {
    const out = [];
    for (const depth of DEPTHS) {
      out.push({ name: name(depth, false), opsPerCall: OPS, unit: "request", params: { depth, bs: BLOCK, batching: false } });
      out.push({ name: name(depth, true), opsPerCall: OPS, unit: "request", baseline: name(depth, false), params: { depth, bs: BLOCK, batching: true } });
    }
    for (const depth of DEPTHS) {
      for (const what of ["sq-doorbells", "interrupts"]) {
        out.push({ name: perRequest(what, depth, false), unit: `${what.replace(/s$/, "")}/request`, params: { depth, batching: false } });
        out.push({
          name: perRequest(what, depth, true),
          unit: `${what.replace(/s$/, "")}/request`,
          baseline: perRequest(what, depth, false),
          params: { depth, batching: true }
        });
      }
    }
    for (const depth of DEPTHS) {
      out.push({ name: `randread-4k depth=${depth} batched\xF7unbatched (interleaved)`, unit: "ratio", params: { depth, interleaved: true } });
    }
    return out;
  },
  async prepare(spec) {
    if (spec.backend) useBackend(spec.backend);
    const depth = Number(spec.params?.["depth"] ?? 1);
    const batched = spec.params?.["batching"] === true;
    if (spec.params?.["interleaved"] === true) return interleaved(depth);
    const loop = makeLoop(depth, batched);
    loop.run(256);
    const teardown = () => loop.blk.closeSync();
    if (spec.name.startsWith("randread-4k")) return { kind: "sync", fn: () => loop.run(OPS), teardown };
    return {
      kind: "measured",
      async run() {
        const samples = [];
        for (let s = 0; s < 10; s++) {
          const before = loop.bs.ctrl.counters();
          loop.run(OPS);
          const after = loop.bs.ctrl.counters();
          const count = spec.name.startsWith("sq-doorbells") ? after.ioSqDoorbells - before.ioSqDoorbells : after.interrupts - before.interrupts;
          samples.push(count / OPS);
        }
        teardown();
        const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
        const sd = Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, samples.length - 1));
        return { hz: mean, rme: mean === 0 ? 0 : 100 * 1.96 * sd / Math.sqrt(samples.length) / mean, samples: samples.length };
      }
    };
  }
};
var nvme_bench_default = nvmeBench;
export {
  nvme_bench_default as default
};
//# sourceMappingURL=nvme.bench.js.map