// Default CPU threads of a model: one for a small model, every core for a larger one only when
// libgomp waits passively (engine/cpu_threads.h; the measurements are in bench/RESULTS.md).
#include "engine/cpu_threads.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

using namespace switchyard;

TEST(CpuThreads, SmallModelsGetOneThreadLargerOnesEveryCoreWhenWaitingSleeps) {
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

    if (saved_policy) setenv("OMP_WAIT_POLICY", policy.c_str(), 1); else unsetenv("OMP_WAIT_POLICY");
    if (saved_spin) setenv("GOMP_SPINCOUNT", spin.c_str(), 1); else unsetenv("GOMP_SPINCOUNT");
}
