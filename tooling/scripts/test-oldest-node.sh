#!/usr/bin/env bash
# The published packages (packages/*) declare engines ">=22" while the services and `make test` run on Node 24:
# run the packages' unit tests (no Redis, radosgw, nginx or mounts; those suites run on Node 24 in `make test`)
# once more on the oldest supported line, so a team on Node 22 is not surprised. Uses the built dist/ of their
# workspace dependencies, so run it after the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
node_bin="$(bash tooling/scripts/node-runtime.sh oldest)"
[ -z "$node_bin" ] || export PATH="$node_bin:$PATH"
version="$(cd packages/storage-core && pnpm exec node -v)" # what vitest (a pnpm bin) runs on
[ "${version%%.*}" = v22 ] || { echo "test-oldest-node.sh: expected Node 22 under pnpm, got $version" >&2; exit 1; }
echo "Packages' unit tests on Node $version"

run() { # <package dir> <test files...>
  local dir="$1"; shift
  # The default reporter only: test-results.json stays the Node 24 run's (tooling/scripts/test-summary.mjs).
  (cd "packages/$dir" && pnpm exec vitest run --reporter=default "$@")
}
run storage-core
run storage-local src/local-storage-adapter.test.ts src/local-storage-files.test.ts src/local-storage-security.test.ts src/seed-examples.test.ts
run storage-s3 src/s3-storage-adapter.mock.test.ts
run storage src/load-storage-config.test.ts src/storage-metrics.test.ts
run image-processor src/image-processor.test.ts src/presets.test.ts src/placeholders.test.ts src/transform.test.ts src/provenance.test.ts src/safe-fetch.test.ts
run image-queue
run api-client
run observability
run test-utils
echo "Packages' unit tests passed on Node $(node -v)"
