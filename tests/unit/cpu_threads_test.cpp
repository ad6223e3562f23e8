// Default CPU threads of a model: one for a small model, every core for a larger one only when
// libgomp's waiting threads give their core up soon; teams sized to the idle cores (engine/cpu_threads.h; the measurements are in bench/RESULTS.md).
#include "engine/cpu_threads.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>

using namespace switchyard;

TEST(CpuThreads, SmallModelsGetOneThreadLargerOnesEveryCoreWhenWaitingThreadsYieldSoon) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const char* saved_policy = std::getenv("OMP_WAIT_POLICY");
    const char* saved_spin = std::getenv("GOMP_SPINCOUNT");
    std::string policy = saved_policy ? saved_policy : "", spin = saved_spin ? saved_spin : "";
    unsetenv("GOMP_SPINCOUNT");

    setenv("OMP_WAIT_POLICY", "passive", 1);
    EXPECT_EQ(default_model_threads(100ull << 20), 1) << "SmolLM2-sized";
    EXPECT_EQ(default_model_threads(kSmallModelBytes - 1), 1);
    EXPECT_EQ(default_model_threads(1100ull << 20), cores) << "Qwen 1.5B-sized, passive wait";
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    EXPECT_EQ(default_model_threads(1100ull << 20), cores);

    unsetenv("OMP_WAIT_POLICY");   // libgomp's spinning default: leave a core free
    EXPECT_EQ(default_model_threads(1100ull << 20), std::max(1, cores - 1));
    setenv("GOMP_SPINCOUNT", "0", 1);
    EXPECT_EQ(default_model_threads(1100ull << 20), cores) << "a zero spin count sleeps at once too";
    setenv("GOMP_SPINCOUNT", std::to_string(kShortSpinCount).c_str(), 1);
    EXPECT_EQ(default_model_threads(1100ull << 20), cores) << "the short spin this program sets";
    setenv("GOMP_SPINCOUNT", "300000", 1);
    EXPECT_EQ(default_model_threads(1100ull << 20), std::max(1, cores - 1)) << "libgomp's long default spin";
    setenv("GOMP_SPINCOUNT", "300x", 1);
    EXPECT_EQ(default_model_threads(1100ull << 20), std::max(1, cores - 1)) << "unparsable: assume it spins";

    if (saved_policy) setenv("OMP_WAIT_POLICY", policy.c_str(), 1); else unsetenv("OMP_WAIT_POLICY");
    if (saved_spin) setenv("GOMP_SPINCOUNT", spin.c_str(), 1); else unsetenv("GOMP_SPINCOUNT");
}

TEST(CpuThreads, FreeCoresAreTheCoresOtherProcessesLeft) {
    EXPECT_EQ(free_cores(2, 0.0, 0.2), 2) << "nothing else runs";
    EXPECT_EQ(free_cores(2, 0.01, 0.2), 2) << "a client reading tokens (5% of a core) takes no core";
    EXPECT_EQ(free_cores(2, 0.2, 0.2), 1) << "a busy loop takes one";
    EXPECT_EQ(free_cores(2, 0.1, 0.2), 1) << "half a core taken counts as taken";
    EXPECT_EQ(free_cores(2, 0.4, 0.2), 1) << "never below one";
    EXPECT_EQ(free_cores(8, 0.6, 0.2), 5);
    EXPECT_EQ(free_cores(4, -0.01, 0.2), 4) << "rounding of the tick counters below zero";
    EXPECT_EQ(free_cores(4, 0.1, 0.0), 4) << "no time passed: nothing known";
    EXPECT_EQ(free_cores(0, 0.0, 0.2), 1);
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    EXPECT_GE(idle_cores(), 1);
    EXPECT_LE(idle_cores(), cores);
}

TEST(CpuThreads, EmbeddingModelsMayUseEveryCoreWhenWaitingThreadsYieldSoon) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const char* saved_policy = std::getenv("OMP_WAIT_POLICY");
    const char* saved_spin = std::getenv("GOMP_SPINCOUNT");
    std::string policy = saved_policy ? saved_policy : "", spin = saved_spin ? saved_spin : "";
    unsetenv("GOMP_SPINCOUNT");
    setenv("OMP_WAIT_POLICY", "passive", 1);
    EXPECT_EQ(default_embedding_threads(), cores) << "a small embedding model still gets every core";
    unsetenv("OMP_WAIT_POLICY");
    EXPECT_EQ(default_embedding_threads(), std::max(1, cores - 1));
    if (saved_policy) setenv("OMP_WAIT_POLICY", policy.c_str(), 1); else unsetenv("OMP_WAIT_POLICY");
    if (saved_spin) setenv("GOMP_SPINCOUNT", spin.c_str(), 1); else unsetenv("GOMP_SPINCOUNT");
}
