#!/usr/bin/env bash
# Fetches the pinned llama.cpp source (from the npm package node-llama-cpp, checked by SHA-256)
# and builds it once into the cache. Idempotent: a second run only re-checks.
# Usage: scripts/build-llama.sh [libs|all]   (libs: what libswitchyard links; all: also llama-server etc.)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/llama-env.sh"
what="${1:-all}"

if [ ! -f "$LLAMA_SRC_DIR/include/llama.h" ]; then
  tmp="$(mktemp -d)"
  # SWITCHYARD_VENDOR_DIR may hold the same package fetched beforehand (`npm pack
  # node-llama-cpp@VERSION`), for builds without registry access (deploy/Containerfile).
  # It is checked like a download.
  vendored="${SWITCHYARD_VENDOR_DIR:-/nonexistent}/node-llama-cpp-$NODE_LLAMA_CPP_VERSION.tgz"
  if [ -f "$vendored" ]; then
    echo "[llama] using $vendored"
    cp "$vendored" "$tmp/node-llama-cpp-$NODE_LLAMA_CPP_VERSION.tgz"
  else
    echo "[llama] fetching node-llama-cpp@$NODE_LLAMA_CPP_VERSION from the npm registry"
    (cd "$tmp" && npm pack --silent "node-llama-cpp@$NODE_LLAMA_CPP_VERSION" >/dev/null)
  fi
  tar -xzf "$tmp/node-llama-cpp-$NODE_LLAMA_CPP_VERSION.tgz" -C "$tmp" package/llama/gitRelease.bundle
  got="$(sha256sum "$tmp/package/llama/gitRelease.bundle" | cut -d' ' -f1)"
  if [ "$got" != "$LLAMA_BUNDLE_SHA256" ]; then
    echo "[llama] SHA-256 mismatch for gitRelease.bundle: got $got, want $LLAMA_BUNDLE_SHA256" >&2; exit 1
  fi
  rm -rf "$LLAMA_SRC_DIR"; mkdir -p "$(dirname "$LLAMA_SRC_DIR")"
  git -c advice.detachedHead=false clone -q "$tmp/package/llama/gitRelease.bundle" "$LLAMA_SRC_DIR"
  rm -rf "$tmp"
fi

if [ ! -f "$LLAMA_BUILD_DIR/CMakeCache.txt" ]; then
  echo "[llama] configuring $LLAMA_BUILD_DIR"
  cmake -S "$LLAMA_SRC_DIR" -B "$LLAMA_BUILD_DIR" "${LLAMA_CMAKE_FLAGS[@]}" >"$LLAMA_BUILD_DIR.configure.log" 2>&1 \
    || { cat "$LLAMA_BUILD_DIR.configure.log" >&2; exit 1; }
fi
targets=(llama-common llama)
if [ "$what" = all ]; then targets+=(llama-server test-llama-archs llama-quantize); fi  # llama-quantize: `switchyard distil`
echo "[llama] building ${targets[*]} (cached in $LLAMA_BUILD_DIR)"
cmake --build "$LLAMA_BUILD_DIR" --target "${targets[@]}" -j "$(nproc)" >"$LLAMA_BUILD_DIR.build.log" 2>&1 \
  || { tail -50 "$LLAMA_BUILD_DIR.build.log" >&2; exit 1; }
echo "[llama] ready: $LLAMA_BUILD_DIR"
