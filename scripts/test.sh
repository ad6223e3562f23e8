#!/usr/bin/env bash
# Runs every test: set-up (idempotent), GoogleTest unit tests through ctest, then the
# end-to-end suite that drives the real server on the real models with the official openai client.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
echo "[test] unit tests (ctest)"
(cd build && ctest --output-on-failure -j1)
echo "[test] fuzzing under ASan+UBSan: each fuzz/ target, fixed seed and input count (scripts/fuzz.sh)"
bash scripts/fuzz.sh
echo "[test] engine, config, log, wire, eval and parser unit tests under ASan+UBSan (scripts/sanitize.sh asan --ci)"
bash scripts/sanitize.sh asan --ci
echo "[test] scheduler, model pool and request log unit tests under TSan (scripts/sanitize.sh tsan --ci)"
bash scripts/sanitize.sh tsan --ci
echo "[test] end-to-end tests (pytest + openai client, real server, real models)"
.venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider
