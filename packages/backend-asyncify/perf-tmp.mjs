import { createAsyncifyBackend } from './dist/index.js';
const b = createAsyncifyBackend();
const n = Number(process.argv[2] ?? 1e6);
const fns = process.argv[3] ? process.argv[3].split(',') : ['perf_function_call', 'perf_yield', 'perf_lifecycle', 'perf_cost'];
for (const fn of fns) {
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const c0 = process.cpuUsage();
    const h = b.native.start(fn, [n]);
    b.native.resume(h, 0);
    const c = process.cpuUsage(c0);
    best = Math.min(best, ((c.user + c.system) * 1000) / n);
  }
  console.log(fn, best.toFixed(1), 'ns/op (cpu, best of 5)');
}
