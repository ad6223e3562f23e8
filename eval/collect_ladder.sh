#!/usr/bin/env bash
# Collects per-prompt outcomes of the ladder's tiers on eval/datasets/ladder_*.jsonl, resumably
# (the eval cache keeps every answer; rerunning skips what is done). Used for eval/RESULTS.md.
#   eval/collect_ladder.sh small|base|large|smallc train|test|test189 [OUT_ROOT]   (default OUT_ROOT: ~/.cache/switchyard/ladder)
#   eval/collect_ladder.sh judge judge [OUT_ROOT]   (the verifier cascade: Qwen judges each SmolLM2 test answer)
# train: the tier on the whole train split (small and large: the router's training rows; both on
#        every row, so `router fit` can use the relative label "small at least as good as large").
# test:  the tier on the test prompts beyond the committed sample (results/ladder/records_test189.jsonl),
#        in growing stratified slices (eval/ladder_test_ext.py keeps `--limit`'s order: classes in
#        turn, ids shuffled by the generator), so a longer run extends a shorter one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${SWITCHYARD_BIN:-$root/build/switchyard}"
tier="$1"; split="$2"; out="${3:-$HOME/.cache/switchyard/ladder}"
cfg="${LADDER_CONFIG:-$root/eval/switchyard-ladder.yaml}"
case "$tier" in
  small) model=smollm2-135m ;;
  large) model=qwen2.5-1.5b ;;
  base)  model=gemma-3-270m ;;
  smallc) model=small-constrained ;;   # SmolLM2 under the closed-answer constraints (a route of the config)
  judge) model=qwen2.5-1.5b ;;         # the verifier cascade's judge: Qwen on eval/ladder_verifier_cases.py's cases
  *) echo "usage: $0 small|base|large|smallc|judge train|test [OUT_ROOT]" >&2; exit 2 ;;
esac
mkdir -p "$out"
run() {  # dataset name limit
  local lim=() ; [ "$3" != 0 ] && lim=(--limit "$3")
  echo "[collect] $tier on $2 ${lim[*]:-(all)} $(date -u +%H:%M:%S)"
  "$bin" -c "$cfg" eval run --dataset "$1" --policy "$tier=$model" --small "$tier" \
    --reference "$tier" --concurrency 3 --no-progress --cache-dir "$out/cache-$tier" --out "$out/$tier-$2-${3}" "${lim[@]}"
}
case "$split" in
  judge) python3 "$root/eval/ladder_verifier_cases.py" --records "$root/eval/results/ladder/records_test189.jsonl" \
             $(ls "$out"/small-testext-*/records.jsonl 2>/dev/null | sed 's/^/--records /') \
             --dataset "$root/eval/datasets/ladder_test.jsonl" -o "$out/judge_cases.jsonl"
         for l in ${LIMITS:-189 0}; do run "$out/judge_cases.jsonl" judge "$l"; done ;;
  train) run "$root/eval/datasets/ladder_train.jsonl" train 0 ;;
  test)  python3 "$root/eval/ladder_test_ext.py" "$out/ladder_test_ext.jsonl"
         for l in ${LIMITS:-90 171 351 531 0}; do run "$out/ladder_test_ext.jsonl" testext "$l"; done ;;
  test189) # the committed sample's cases (results/ladder/records_test189.jsonl), for a tier added later (smallc)
         python3 -c 'import json,sys; ids={json.loads(l)["id"] for l in open(sys.argv[1])}; [sys.stdout.write(l) for l in open(sys.argv[2]) if json.loads(l)["id"] in ids]' \
             "$root/eval/results/ladder/records_test189.jsonl" "$root/eval/datasets/ladder_test.jsonl" > "$out/ladder_test189.jsonl"
         run "$out/ladder_test189.jsonl" test189 0 ;;
  *) echo "usage: $0 small|base|large train|test|test189 [OUT_ROOT]" >&2; exit 2 ;;
esac
echo "[collect] $tier $split done $(date -u +%H:%M:%S)"
