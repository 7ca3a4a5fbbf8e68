#!/usr/bin/env bash
# The README's main job: set up the JavaScript toolchain, build everything, run the
# cross-backend benchmarks on every backend available here (the generator backend
# at least), and render the dashboard. It needs no root: the Debian packages the
# build wants are installed only when root or sudo can (otherwise the native
# backends report themselves not available), and the real peers of the tests are
# not installed at all — block cases whose tools are missing (qemu-img, scp,
# nfs-ganesha, …) are skipped and listed at the end, with the package to install.
# Extra arguments go to qco-perf (e.g. --time 2, --filter coroutine).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TURBO_TELEMETRY_DISABLED=1
pnpm exec turbo run build --output-logs=errors-only
node packages/bench/dist/perf-cli.js "$@"
# The page, and a picture of it when Debian's chromium is installed.
node apps/dashboard/dist/cli.js bench-results --screenshot apps/dashboard/out/dashboard.png
