// How local models use the CPU cores. ggml runs each op of a decode step on a team of OpenMP
// threads (libgomp, in this build) that meet at a barrier after every op. Two things decide the
// speed (bench/RESULTS.md, Qwen 1.5B on 2 cores):
//  - how a thread waits at the barrier. libgomp's default spins ~300k iterations (milliseconds)
//    before sleeping: fastest on an idle machine (38.8 tok/s), but when another process holds a
//    core the spinning thread burns the time slice its descheduled teammate needs, at every op
//    (10.9 tok/s beside one busy loop). A passive wait sleeps at once and pays a wake-up per op
//    (23.9 idle, 22.4 busy). A short spin (kShortSpinCount iterations, a few microseconds)
//    catches a teammate that is a moment behind and gives the core up soon: 36.6 idle, 21.0 busy.
//  - how many threads. Beside outside work one thread beats any team (25.7 tok/s beside one
//    busy loop), so each decode step and each embedding sizes its team to the cores free then
//    (together: 30.8 idle, 24.8 beside one busy loop; prompt steps keep every thread, scheduler.cpp).
#pragma once

#include <string>

namespace switchyard {

// libgomp's spin count this program runs with unless the user sets a policy.
constexpr unsigned long kShortSpinCount = 300;

// libgomp reads OMP_WAIT_POLICY / GOMP_SPINCOUNT once, when it is loaded, before main() runs, so
// setting them later does nothing. Called first in main(): when neither is set, sets
// GOMP_SPINCOUNT=kShortSpinCount and re-executes the program (same pid, same arguments) so
// libgomp starts with it. A value the user set is kept as is. Returns when nothing needs
// changing, or when the re-exec is not possible (then libgomp keeps its default).
void apply_default_omp_wait_policy(char** argv);

// Most CPU threads for a model whose config leaves `threads` unset, given its weights' size. A
// small model's one-token steps are too short to split: the barrier after each op costs more
// than the second thread saves (2 cores: SmolLM2-135M 103 tok/s on 1 thread vs 38-74 on 2), so
// models under kSmallModelBytes get one thread. Larger ones get every core when waiting threads
// give their core up soon (passive, or a spin count up to kShortSpinCount: the switchyard program
// sets one), else every core but one, so that outside load cannot stall a long-spinning team.
int default_model_threads(unsigned long long weight_bytes);
constexpr unsigned long long kSmallModelBytes = 512ull << 20;

// Most threads an embedding model may use when its config leaves `threads` unset: every core
// when waiting threads give theirs up soon (an embedding is a batch of tokens, so its ops are big
// enough to split), else one.
int default_embedding_threads();

// Cores that other processes leave free: the machine's cores minus those other processes both
// used lately (their CPU time since the previous decision: /proc/stat's busy time less this
// process's own, from getrusage) and are using now (/proc/loadavg's count of runnable threads,
// less the caller), at least 1. Both must agree: this process's own threads never count, a brief
// visitor (an HTTP client reading a token) barely shows in the window, and a neighbour whose
// burst just ended is no longer runnable (a runnable count that would take a core is read again
// up to 5 times, 200 us apart, and the least is used). After a pause longer than 3 windows the
// runnable count decides alone. The decision holds for kCoreSampleMs; thread-safe; a few
// microseconds when the cores are free, up to 1 ms when they are not. Every core when /proc is
// unreadable.
int idle_cores();
constexpr int kCoreSampleMs = 100;
// The decision: `others_busy_s` CPU seconds used by other processes in `wall_s` seconds, and
// `runnable_now` runnable threads on the machine, the caller included. Other processes count as
// taking a core for each half core they used on average.
int free_cores(int cores, double others_busy_s, double wall_s, int runnable_now);

}  // namespace switchyard
