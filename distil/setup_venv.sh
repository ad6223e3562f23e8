#!/usr/bin/env bash
# Creates the training virtualenv for `switchyard distil` (PyTorch + transformers, pinned in
# distil/requirements-train.txt). Idempotent: a stamp with the requirements' hash makes a second
# run instant. `switchyard distil` runs this on first use; scripts/setup.sh does not (the venv is
# several GB), but the distil end-to-end test does.
# Usage: distil/setup_venv.sh [VENV_DIR]   (default: .venv-train in the repository root)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-$root/.venv-train}"
req="$root/distil/requirements-train.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then exit 0; fi
echo "[distil] creating the training virtualenv $venv (torch, transformers; a few GB, once)" >&2
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$req" >&2
echo "$want" > "$stamp"
echo "[distil] training virtualenv ready" >&2
