// Adds up the vitest JSON reports every package wrote in this run and prints one
// closing line, "N passed, N failed, N skipped"; exits non-zero on any failure.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0, failed = 0, skipped = 0;
const rows = [];
for (const group of ['packages', 'apps', 'examples']) {
  if (!existsSync(group)) continue;
  for (const dir of readdirSync(group)) {
    // vitest.json: the run under the machine's Node; vitest-node24.json: the same
    // suite again under Node 24, for packages with native code.
    for (const [report, label] of [['vitest.json', ''], ['vitest-node24.json', ' (Node 24)']]) {
      const file = join(group, dir, '.qco-run', report);
      if (!existsSync(file)) continue;
      const r = JSON.parse(readFileSync(file, 'utf8'));
      const p = r.numPassedTests ?? 0, f = r.numFailedTests ?? 0, s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
      passed += p; failed += f; skipped += s;
      rows.push(`${(join(group, dir) + label).padEnd(50)} ${String(p).padStart(5)} passed ${String(f).padStart(3)} failed ${String(s).padStart(3)} skipped`);
    }
  }
}
console.log('\nTest summary by package:');
for (const row of rows) console.log('  ' + row);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
