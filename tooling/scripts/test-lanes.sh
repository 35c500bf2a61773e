#!/usr/bin/env bash
# `make test` after the build: the checks and every test, in two lanes that run at the same time because they do
# not compete for the same things (figures: docs/ARCHITECTURE.md, "Running the tests"):
#   servers lane  every package's tests but the release test, one package at a time (turbo --concurrency=1),
#                 against ONE radosgw for the whole run (packages/dev-servers/src/with-shared-rgw-cli.ts: each
#                 suite gets buckets of its own there instead of starting a radosgw of its own);
#   side lane     lint and typecheck (tooling/scripts/check.sh: each tool once for the workspace), the release test (its own verdaccio, npm/pnpm consumers in temp dirs), and
#                 the published packages' unit tests on Node 22 (test-oldest-node.sh): no shared server, no
#                 timing-sensitive assertions.
# The servers lane runs every package even after a failure (--continue: the summary then names every failing
# file); the side lane stops at its first failure. The script fails when either lane failed. The side lane's lines are
# prefixed with "side|". Run after `turbo run build` (both lanes use the built dist/).
set -uo pipefail
cd "$(dirname "$0")/../.."
turbo=(pnpm exec turbo)

side_lane() {
  bash tooling/scripts/check.sh &&
    "${turbo[@]}" run test --filter=@monorepo/release --concurrency=1 &&
    bash tooling/scripts/test-oldest-node.sh
}

mkdir -p .turbo
started=$(date +%s)
( side_lane 2>&1; echo "$?" > .turbo/side-lane.status ) | sed -u 's/^/side| /' &
side_pid=$!

node packages/dev-servers/dist/with-shared-rgw-cli.js \
  "${turbo[@]}" run test --filter='!@monorepo/release' --concurrency=1 --continue
servers=$?
echo "servers lane: exit $servers after $(($(date +%s) - started)) s"

wait "$side_pid"
side=$(cat .turbo/side-lane.status 2>/dev/null || echo 1)
rm -f .turbo/side-lane.status
echo "side lane (lint, typecheck, release test, Node 22 unit tests): exit $side after $(($(date +%s) - started)) s"
[ "$servers" = 0 ] && [ "$side" = 0 ]
