#!/usr/bin/env bash
# make test's static checks over every workspace package, each tool run once for the whole workspace instead of
# once per package (`turbo run lint typecheck` starts 40 processes that each load ESLint or parse the same
# types again: ~160 s of CPU against ~40 s here). Same files, same settings as each package's own `pnpm lint` and
# `pnpm typecheck`:
#   ESLint     every package's own eslint.config.js (v10_config_lookup_from_file: the nearest config per file);
#   Prettier   each package's src/ (and test/ where it has one);
#   tsc        two programs: the published packages on Node 22's types, and the services, harness and dev
#              servers on Node 24's (tooling/tsconfig/workspace-*.json).
# Run after the build (workspace imports resolve to the built dist/ type declarations).
set -euo pipefail
cd "$(dirname "$0")/../.."

packages=()
for dir in packages/* apps/* tooling/*; do
  [ -f "$dir/package.json" ] && grep -q '"lint":' "$dir/package.json" && packages+=("$dir")
done
sources=()
for dir in "${packages[@]}"; do
  sources+=("$dir/src")
  [ -d "$dir/test" ] && sources+=("$dir/test")
done

eslint=tooling/eslint-config/node_modules/.bin/eslint
status=0
echo "eslint: ${#packages[@]} packages"
"$eslint" --flag v10_config_lookup_from_file --max-warnings=-1 "${packages[@]}" || status=1
echo "prettier --check: ${#sources[@]} folders"
pnpm exec prettier --check --log-level warn "${sources[@]}" || status=1
for program in packages services; do
  echo "tsc: tooling/tsconfig/workspace-$program.json"
  pnpm exec tsc -p "tooling/tsconfig/workspace-$program.json" || status=1
done
exit "$status"
