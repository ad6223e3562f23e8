#!/usr/bin/env bash
# Builds the unit tests with sanitizers (gcc) and runs them. Our code is instrumented; the cached
# llama.cpp static libraries are not (ASan/UBSan still catch our misuse of them, TSan sees no
# races inside them).
#   scripts/sanitize.sh asan [REGEX]   ASan+UBSan+LSan into build-asan/, every unit test (or ctest -R REGEX)
#   scripts/sanitize.sh asan --ci      the bounded CI variant (scripts/test.sh): unit_tests_core only, i.e.
#                                      engine (tiny real models), config, request log, eval and parser tests
#   scripts/sanitize.sh tsan [REGEX]   TSan into build-tsan/, every unit test and the C API tests (or
#                                      ctest -R REGEX): the threaded ones are the scheduler, model pool,
#                                      remote providers and fleets (real sockets), limiter, breaker,
#                                      router, budgets, caches, request log, pipeline executor and pool
#                                      services, the C API from two threads; about 2 minutes to run
#   scripts/sanitize.sh tsan --ci      only the scheduler, model pool and request log tests (unit_tests_core)
# Any report fails the run (-fno-sanitize-recover=all, halt_on_error).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mode="${1:-}"
targets=(unit_tests); exclude='^core\.'
case "$mode" in
  asan) dir=build-asan; san="address,undefined"; filter="${2:-.}"
        if [ "$filter" = --ci ]; then targets=(unit_tests_core); filter='^core\.'; exclude='^$'; fi ;;
  # The embedding examples stay out: embed_python loads the instrumented library into an
  # uninstrumented Python, which TSan cannot run; embed_c is one thread (CApi.* cover the API).
  tsan) dir=build-tsan; san="thread"; targets=(unit_tests c_api_test); exclude='^core\.|^embed_'
        filter="${2:-.}"
        if [ "$filter" = --ci ]; then targets=(unit_tests_core); filter='^core\.(Scheduler|ModelPool|RequestLog)\.'; exclude='^$'; fi ;;
  *) echo "usage: scripts/sanitize.sh asan|tsan [ctest -R regex]" >&2; exit 2 ;;
esac
source scripts/llama-env.sh
launcher=(); command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWITCHYARD_SANITIZE="$san" "${launcher[@]}" \
    -DSWITCHYARD_LLAMA_SRC="$LLAMA_SRC_DIR" -DSWITCHYARD_LLAMA_BUILD="$LLAMA_BUILD_DIR" >/dev/null
fi
echo "[sanitize] building ${targets[*]} in $dir with -fsanitize=$san"
nice -n 10 cmake --build "$dir" --target "${targets[@]}" -j "$(nproc)" | grep -Ev '^\[[0-9]+/[0-9]+\] ' || true
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/scripts/tsan.supp"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp"
echo "[sanitize] running unit tests matching '$filter' under $san"
cd "$dir" && ctest --output-on-failure -j1 -R "$filter" -E "$exclude"
