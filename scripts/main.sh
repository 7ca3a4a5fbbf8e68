#!/usr/bin/env bash
# The README's main job: set up, build everything, run the cross-backend benchmarks
# on every backend available here (the generator backend at least), and render the
# dashboard. The real peers (sshd, nfs-ganesha, qemu-img, scp, nfs-cp) are set up too,
# since the block benchmarks compare with them. Extra arguments go to qco-perf
# (e.g. --time 2, --filter coroutine).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --peers
export TURBO_TELEMETRY_DISABLED=1
pnpm exec turbo run build --output-logs=errors-only
node packages/conformance/dist/perf-cli.js "$@"
node apps/dashboard/dist/cli.js bench-results
