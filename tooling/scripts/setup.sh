#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian/Ubuntu machine with any Node (and npm): the Node in
# .nvmrc (Node 24 LTS) is provided under .cache/node/ when the machine's node is another line.
# Idempotent: does nothing that is already done.
set -euo pipefail
PNPM_VERSION="${1:-12.4.2}"
cd "$(dirname "$0")/../.."

node_bin="$(bash tooling/scripts/node-runtime.sh current)"
[ -z "$node_bin" ] || export PATH="$node_bin:$PATH"
# The oldest line the published packages support, for their unit tests and the release test (make test).
bash tooling/scripts/node-runtime.sh oldest >/dev/null
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 24 ]; then
  echo "Node >= 24 is required (found $(node --version))." >&2
  exit 1
fi

# System packages used by tests and `make start`: nginx (CDN), redis-server (queue),
# docker-compose (static validation of the compose files; there is no Docker engine in CI), and Ceph's
# radosgw (a real S3 server for the S3 suites, the end-to-end tests in S3 mode and the bench), and chromium
# (the console page is tested in a real browser, driven by playwright-core), exiftool (an outside reader of
# the provenance the image pipeline writes) and ffmpeg (video sources: probe and poster frame).
missing=()
for pair in nginx:nginx-light redis-server:redis-server docker-compose:docker-compose \
  ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw radosgw-admin:ceph-common chromium:chromium exiftool:libimage-exiftool-perl ffmpeg:ffmpeg ffprobe:ffmpeg; do
  cmd="${pair%%:*}"; pkg="${pair#*:}"
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Please install: ${missing[*]} (e.g. sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "Installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi

if [ ! -f node_modules/.modules.yaml ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
  pnpm install --frozen-lockfile
fi
