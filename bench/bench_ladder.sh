#!/usr/bin/env bash
# Switchyard vs llama-server for each default model of the ladder, one after another, in one run
# (bench/bench_serving.py per model; results as Markdown under bench/out/ladder-<model>.md).
# Usage: bench/bench_ladder.sh [extra bench_serving.py options]   (~4 min on 2 quiet cores)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/llama-env.sh
for m in SmolLM2-135M-Instruct.Q4_1.gguf gemma-3-270m-q4_k_m.gguf qwen2.5-coder-1.5b-instruct-q4_k_m.gguf; do
  # The Gemma 3 270M base GGUF ships without a chat template; switchyard.yaml gives it this one.
  template=""; [ "$m" = gemma-3-270m-q4_k_m.gguf ] && template=templates/gemma3.jinja
  # Qwen decodes ~5x slower: fewer and shorter runs keep its share of the run in proportion.
  runs=(--max-tokens 64 --decode-runs 6 --agg-rounds 3)
  [ "$m" = qwen2.5-coder-1.5b-instruct-q4_k_m.gguf ] && runs=(--max-tokens 48 --decode-runs 4 --agg-rounds 3)
  echo "== $m $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  .venv/bin/python bench/bench_serving.py "${runs[@]}" --ttft-runs 3 --cold-runs 1 --threads 2 --parallel 8 --ctx 4096 \
    --model "models/$m" --chat-template "$template" --out "bench/out/ladder-${m%.gguf}.md" "$@"
done
