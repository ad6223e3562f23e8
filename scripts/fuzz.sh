#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang into build-fuzz/ and runs them.
#   scripts/fuzz.sh                 CI run: each target from its committed seeds with a fixed seed
#                                   and a fixed number of inputs (about 10 s each here), so a run that
#                                   passes here passes in CI; the new inputs it makes are thrown away
#   scripts/fuzz.sh --long          long run: each target for 10 min (FUZZ_SECONDS overrides), random
#                                   seed, corpus kept in build-fuzz/corpus/<target>/ between runs
#   FUZZ_SECONDS=60 scripts/fuzz.sh  time-bounded instead of a fixed number of inputs
#   scripts/fuzz.sh [--long] fuzz_pii fuzz_config ...   only these targets
# A crash, leak, UBSan report, uncaught exception, timeout (10 s) or OOM (2 GiB) fails the run
# and leaves the input in build-fuzz/artifacts/<target>/; reproduce with
#   build-fuzz/fuzz/<target> build-fuzz/artifacts/<target>/crash-...
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
long=0
if [ "${1:-}" = --long ]; then long=1; shift; fi
all=(fuzz_chat_request fuzz_sse_stream fuzz_anthropic_stream fuzz_config fuzz_pipeline fuzz_template fuzz_pii fuzz_chat_template)
targets=("$@"); [ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
# Inputs per target in the CI run: about 5 s each on a quiet 2-core machine.
declare -A ci_runs=([fuzz_chat_request]=40000 [fuzz_sse_stream]=30000 [fuzz_anthropic_stream]=30000 [fuzz_config]=20000
                    [fuzz_pipeline]=12000 [fuzz_template]=150000 [fuzz_pii]=30000 [fuzz_chat_template]=600)

cxx=""
for c in clang++-16 clang++-14 clang++; do command -v "$c" >/dev/null && { cxx="$c"; break; }; done
[ -n "$cxx" ] || { echo "[fuzz] no clang++ (scripts/setup.sh installs clang-16 and libclang-rt-16-dev)" >&2; exit 1; }
cc="${cxx/clang++/clang}"
launcher=(); command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# fuzz_chat_template links the cached llama.cpp build (scripts/build-llama.sh) and reads models/.
source scripts/llama-env.sh
if [ ! -f build-fuzz/CMakeCache.txt ] || ! grep -q '^SWITCHYARD_LLAMA_SRC:PATH=.' build-fuzz/CMakeCache.txt; then
  cmake -S . -B build-fuzz -G Ninja -DSWITCHYARD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" \
    -DSWITCHYARD_LLAMA_SRC="$LLAMA_SRC_DIR" -DSWITCHYARD_LLAMA_BUILD="$LLAMA_BUILD_DIR" >/dev/null
fi
echo "[fuzz] building ${targets[*]} with $cxx"
nice -n 10 cmake --build build-fuzz --target "${targets[@]}" -j "$(nproc)" | grep -Ev '^\[[0-9]+/[0-9]+\] |^-- ' || true
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

# Symbolized stack traces when llvm-symbolizer is around (Debian: llvm-16).
for s in llvm-symbolizer-16 llvm-symbolizer-14 llvm-symbolizer; do
  p="$(command -v "$s" || true)"; [ -n "$p" ] && { export ASAN_SYMBOLIZER_PATH="$p"; break; }
done
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for t in "${targets[@]}"; do
  seeds="fuzz/corpus/$t"; art="build-fuzz/artifacts/$t"; log="build-fuzz/$t.log"
  mkdir -p "$art"
  if [ $long = 1 ]; then
    work="build-fuzz/corpus/$t"; budget=(-max_total_time="${FUZZ_SECONDS:-600}")
  else
    work="$(mktemp -d)"
    if [ -n "${FUZZ_SECONDS:-}" ]; then budget=(-max_total_time="$FUZZ_SECONDS"); else budget=(-seed=1 -runs="${ci_runs[$t]}"); fi
  fi
  mkdir -p "$work"
  dict=(); [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
  start=$(date +%s)
  # -max_len keeps inputs small enough that a slow-but-linear parser is not a "timeout".
  if nice -n 5 "build-fuzz/fuzz/$t" "$work" "$seeds" "${budget[@]}" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" >"$log" 2>&1; then
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)"
    echo "[fuzz] $t: ok, $runs inputs in $(( $(date +%s) - start )) s, $cov"
  else
    echo "[fuzz] $t: FAILED (log: $log, input: $art/)" >&2
    grep -E 'ERROR|SUMMARY|runtime error|uncaught|terminate|Test unit written' "$log" | head -20 >&2 || true
    status=1
  fi
  [ $long = 1 ] || rm -rf "$work"
done
exit $status
