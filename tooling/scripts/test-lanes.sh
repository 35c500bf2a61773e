#!/usr/bin/env bash
# `make test` after the build: the checks and every test, in two lanes that run at the same time, both against ONE
# radosgw for the whole run (packages/dev-servers/src/with-shared-rgw-cli.ts: each suite gets buckets of its own
# there instead of starting a radosgw of its own). Figures: docs/ARCHITECTURE.md, "Running the tests".
#   stack lane     the stack package's suites (tooling/stack: whole systems of processes, ~half the run's CPU): its
#                  other files two at a time, then the two failover suites (chaos, Redis HA) as a pair, then the
#                  ones that measure time or load or drive a browser, alone, then the ones that wait out short
#                  deadlines of their own, two at a time (tooling/stack/vitest.config.ts);
#   packages lane  first lint and typecheck (tooling/scripts/check.sh: each tool once for the workspace), the release
#                  test (its own verdaccio, npm/pnpm consumers in temp dirs) and the published packages' unit tests on
#                  Node 22 (test-oldest-node.sh), which need CPU but measure nothing, beside the stack's busy first
#                  half; then every other package's tests, which mostly wait on servers (their CPU is a third of
#                  their time), beside the stack's suites that run alone: in two rows at once, the three packages
#                  whose suites wait longest (radosgw, Sentinel failovers) in one, the rest in the other.
# Both lanes run every package even after a failure (--continue: the summary then names every failing file), but the
# static checks stop the packages lane's first part. The script fails when either lane failed. The packages lane's
# lines are prefixed with "packages|". Run after `turbo run build` (both lanes use the built dist/).
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${TEST_LANES_SHARED:-}" ]; then
  TEST_LANES_SHARED=1 exec node packages/dev-servers/dist/with-shared-rgw-cli.js bash "$0" "$@"
fi
turbo=(pnpm exec turbo)
# Node's on-disk cache of compiled modules, shared by every Node process of the run (vitest's workers, the stacks'
# services, the CLIs they start): each loads much the same module graph, ~10 % of a stack suite's CPU.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$PWD/.cache/node-compile}"

# The packages whose suites mostly wait on servers they start (Redis Sentinel failovers, radosgw, a black-holed
# endpoint, retry gaps): ~half the other packages' time at ~a third of a core. They run beside the rest.
waiting=(@monorepo/storage-s3 @monorepo/dev-servers @monorepo/redis-connection)

since() { echo "$(($(date +%s) - started)) s"; }

packages_lane() {
  local status=0 rest=() pid
  { bash tooling/scripts/check.sh &&
    "${turbo[@]}" run test --filter=@monorepo/release --concurrency=1 &&
    bash tooling/scripts/test-oldest-node.sh; } || status=1
  echo "checks, release test and Node 22 unit tests: done after $(since)"
  for name in "${waiting[@]}"; do rest+=("--filter=!$name"); done
  "${turbo[@]}" run test "${waiting[@]/#/--filter=}" --concurrency=1 --continue &
  pid=$!
  "${turbo[@]}" run test --filter='!@monorepo/release' --filter='!@monorepo/stack' "${rest[@]}" \
    --concurrency=1 --continue || status=1
  wait "$pid" || status=1
  echo "packages lane: exit $status after $(since)"
  return "$status"
}

mkdir -p .turbo
started=$(date +%s)
( packages_lane 2>&1; echo "$?" > .turbo/packages-lane.status ) | sed -u 's/^/packages| /' &
packages_pid=$!

"${turbo[@]}" run test --filter=@monorepo/stack --concurrency=1 --continue
stack=$?
echo "stack lane: exit $stack after $(since)"

wait "$packages_pid"
packages=$(cat .turbo/packages-lane.status 2>/dev/null || echo 1)
rm -f .turbo/packages-lane.status
[ "$stack" = 0 ] && [ "$packages" = 0 ]
