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
//    busy loop), so each decode step and each embedding sizes its team to the cores free then.
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

// Most threads an embedding model may use when its config leaves `threads` unset: as a large
// model. An embedding is a batch of tokens, so its ops are big enough to split.
int default_embedding_threads();

// Cores that other processes left free lately: the machine's cores minus the CPU time every other
// process used over the last ~200 ms (/proc/stat's busy time less this process's own, from
// getrusage), at least 1. This process's own threads do not count, so a team does not shrink
// because of itself, and a brief visitor (an HTTP client reading a token) does not take a core
// away; a busy neighbour does. Sampled at most every kCoreSampleMs (a /proc/stat read, a few
// microseconds), thread-safe. Every core when /proc/stat cannot be read.
int idle_cores();
constexpr int kCoreSampleMs = 200;
// The decision from one window: `others_busy_s` CPU seconds used by other processes in
// `wall_s` seconds. A core counts as taken once others use more than 0.3 of one on average.
int free_cores(int cores, double others_busy_s, double wall_s);

}  // namespace switchyard
