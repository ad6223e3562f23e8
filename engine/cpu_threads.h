// How local models use the CPU cores. ggml runs each op of a decode step on a team of OpenMP
// threads (libgomp, in this build) that meet at a barrier after every op. libgomp lets a thread
// that reaches the barrier first spin for up to ~300k iterations (milliseconds) before it sleeps;
// when another process holds one of the cores, the spinning thread burns the time slice the
// descheduled one needs, at every op, and decoding collapses (bench/RESULTS.md: Qwen 1.5B at
// 2 threads fell to 1-2 tok/s where one thread made 7-11). With a passive wait policy a waiting
// thread sleeps at once, so using every core is the fastest choice whether or not the machine is busy.
#pragma once

namespace switchyard {

// libgomp reads OMP_WAIT_POLICY / GOMP_SPINCOUNT once, when it is loaded, before main() runs, so
// setting them later does nothing. Called first in main(): when neither is set, sets
// OMP_WAIT_POLICY=passive and re-executes the program (same pid, same arguments) so libgomp starts
// with it. A value the user set is kept as is. Returns when nothing needs changing, or when the
// re-exec is not possible (then the process runs on with libgomp's default).
void apply_default_omp_wait_policy(char** argv);

// CPU threads for a model whose config leaves `threads` unset, given its weights' size. A small
// model's ops are too short to split: the barrier after each costs more than the second thread
// saves (2 cores: SmolLM2-135M 103 tok/s on 1 thread vs 38-74 on 2; Gemma 3 270M 73 vs 24-44),
// so models under kSmallModelBytes get one thread. Larger ones get every core when this process
// runs with a passive wait policy (the switchyard program does; Qwen 1.5B: 22.5 vs 10.1 tok/s),
// else every core but one, so that outside load cannot stall a spinning team.
int default_model_threads(unsigned long long weight_bytes);
constexpr unsigned long long kSmallModelBytes = 512ull << 20;

}  // namespace switchyard
