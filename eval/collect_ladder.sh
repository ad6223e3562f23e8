#!/usr/bin/env bash
# Collects per-prompt outcomes of the ladder's tiers on eval/datasets/ladder_*.jsonl, resumably
# (the eval cache keeps every answer; rerunning skips what is done). Used for eval/RESULTS.md.
#   eval/collect_ladder.sh small|base|large [OUT_ROOT]     (default OUT_ROOT: ~/.cache/switchyard/ladder)
# small: SmolLM2-135M on the whole train split, then the test split in growing stratified slices;
# large: Qwen2.5-1.5B on a stratified slice of train (the router's validation rows), then test slices;
# base:  Gemma 3 270M on the test slices. `--limit N` takes classes in turn and the dataset's ids
# are shuffled, so each slice is a stratified random sample and a longer run extends a shorter one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${SWITCHYARD_BIN:-$root/build/switchyard}"
tier="$1"; out="${2:-$HOME/.cache/switchyard/ladder}"
cfg="$root/eval/switchyard-ladder.yaml"
case "$tier" in
  small) model=smollm2-135m; train_limits="0"; test_limits="270 360 720 0" ;;
  large) model=qwen2.5-1.5b; train_limits="72"; test_limits="270 360 540 720 0" ;;
  base)  model=gemma-3-270m; train_limits=""; test_limits="270 360 720 0" ;;
  *) echo "usage: $0 small|base|large [OUT_ROOT]" >&2; exit 2 ;;
esac
run() {  # split limit
  local lim=() ; [ "$2" != 0 ] && lim=(--limit "$2")
  echo "[collect] $tier on $1 ${lim[*]:-(all)} $(date -u +%H:%M:%S)"
  "$bin" -c "$cfg" eval run --dataset "$root/eval/datasets/ladder_$1.jsonl" --policy "$tier=$model" --small "$tier" \
    --reference "$tier" --concurrency 3 --no-progress --cache-dir "$out/cache-$tier" --out "$out/$tier-$1-${2}" "${lim[@]}"
}
for l in $train_limits; do run train "$l"; done
for l in $test_limits; do run test "$l"; done
echo "[collect] $tier done $(date -u +%H:%M:%S)"
