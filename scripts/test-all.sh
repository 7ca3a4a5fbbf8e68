#!/usr/bin/env bash
# The README's test command: set up (real peers included), build, type-check, lint, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --peers
export TURBO_TELEMETRY_DISABLED=1
pnpm exec turbo run build --output-logs=errors-only
pnpm exec turbo run typecheck lint --output-logs=errors-only
node scripts/summarize-tests.mjs --clear
pnpm exec turbo run test --concurrency=1 --output-logs=full
node scripts/summarize-tests.mjs
