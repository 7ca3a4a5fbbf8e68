#!/usr/bin/env bash
# Set up a fresh machine that has only Node and npm: pnpm through corepack, the
# Debian packages the packages ask for (each lists its own in setup/apt.txt), and
# the workspace's dependencies. Safe to run again: it skips what is there.
#   scripts/setup.sh          JavaScript toolchain + build prerequisites
#   scripts/setup.sh --peers  also the real peers the tests talk to (sshd, ganesha, qemu-utils, …)
set -euo pipefail
cd "$(dirname "$0")/.."
export COREPACK_INTEGRITY_KEYS=0 TURBO_TELEMETRY_DISABLED=1 CI="${CI:-}"
want_peers=0
[ "${1:-}" = "--peers" ] && want_peers=1

say() { printf '\n== %s\n' "$*"; }

if ! command -v pnpm >/dev/null 2>&1 || ! pnpm --version >/dev/null 2>&1; then
  say "pnpm through corepack"
  corepack enable 2>/dev/null || npm install -g "pnpm@$(node -p 'require("./package.json").packageManager.split("@")[1]')"
fi

# Debian packages: build prerequisites always, peers only for the test command.
lists=(packages/*/setup/apt-build.txt apps/*/setup/apt-build.txt)
[ $want_peers = 1 ] && lists+=(packages/*/setup/apt-peers.txt apps/*/setup/apt-peers.txt)
missing=()
for list in "${lists[@]}"; do
  [ -f "$list" ] || continue
  while read -r pkg _; do
    [ -z "$pkg" ] || [ "${pkg:0:1}" = "#" ] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done < "$list"
done
sudo_cmd=""
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo_cmd="sudo"
  elif [ $want_peers = 0 ]; then
    # Without root the build goes on: what needs these says it is not available.
    say "not installing ${missing[*]}: not root and no sudo"
    missing=()
  elif command -v sudo >/dev/null 2>&1; then sudo_cmd="sudo"
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

say "pnpm install"
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | tail -5
