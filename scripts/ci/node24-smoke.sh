#!/usr/bin/env bash
# The Node.js 24 smoke of .ci/run (README: supported Node.js versions).
#
# Installs Node 24 from the npm package `node@24` (it ships the binary and
# the headers, so native modules build offline against them), then builds a
# copy of this tree with it and runs the demo and a handful of e2e files
# under it. The copy has its own node_modules (better-sqlite3, node-pty built
# for Node 24); this tree and its node_modules are left as they are.
#
#   scripts/ci/node24-smoke.sh [e2e test files...]
# OJ_NODE24_SPEC overrides the package spec (default node@24).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"
spec="${OJ_NODE24_SPEC:-node@24}"
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  # The storage under GC pressure (a 40 MB backlog), agent sessions (node-pty),
  # pipelines end to end, backups and restores (SQLite's backup API).
  files=(test/foundation.e2e.test.ts test/agents.e2e.test.ts test/pipelines.e2e.test.ts test/maintenance.e2e.test.ts)
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/oj-node24.XXXXXX")"
trap 'rm -rf "$work"' EXIT
step() { printf '\n== node24: %s (%ss)\n' "$1" "$SECONDS"; }

step "install $spec"
npm install --prefix "$work/runtime" --no-save --no-audit --no-fund --loglevel=error "$spec" >/dev/null
pkg="$work/runtime/node_modules/node"
bindir="$pkg/bin"
version_h="$(find -L "$pkg" -path '*/include/node/node_version.h' -print -quit)"
if [ ! -x "$bindir/node" ] || [ -z "$version_h" ]; then
  echo "node24: $spec did not install a node binary and its headers under $pkg" >&2
  exit 1
fi
# node-gyp wants the directory that holds include/node.
nodedir="${version_h%/include/node/node_version.h}"
export PATH="$bindir:$PATH" npm_config_nodedir="$nodedir"
node --version
case "$(node --version)" in v24.*) ;; *) echo "node24: expected Node 24, got $(node --version)" >&2; exit 1 ;; esac

step "copy the tree"
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$work/src"
cd "$work/src"

step "npm ci (native modules against $nodedir)"
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
step "build"
npm run build --silent
step "demo"
node scripts/demo.mjs >"$work/demo.log" 2>&1 || { cat "$work/demo.log"; echo "node24: the demo failed" >&2; exit 1; }
tail -n 3 "$work/demo.log"
step "e2e: ${files[*]}"
npx vitest run "${files[@]}"
step "done in ${SECONDS}s under $(node --version) (the tree at $repo untouched)"
