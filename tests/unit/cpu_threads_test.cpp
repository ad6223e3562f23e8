// Default CPU threads of a model: one for a small model, every core for a larger one only when
// libgomp's waiting threads give their core up soon; teams sized to the cores other processes
// leave free (engine/cpu_threads.h; the measurements are in bench/RESULTS.md).
#include "engine/cpu_threads.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>

using namespace switchyard;

namespace {
int hardware_cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

// Saves libgomp's two variables and puts them back when the test ends; starts with both unset.
class OmpEnvironment {
public:
    OmpEnvironment() {
        for (auto& [name, value, set] : saved_) {
            const char* v = std::getenv(name);
            set = v != nullptr;
            value = v ? v : "";
            unsetenv(name);
        }
    }
    ~OmpEnvironment() {
        for (auto& [name, value, set] : saved_)
            if (set) setenv(name, value.c_str(), 1); else unsetenv(name);
    }

private:
    struct Saved { const char* name; std::string value; bool set; };
    Saved saved_[2] = {{"OMP_WAIT_POLICY", "", false}, {"GOMP_SPINCOUNT", "", false}};
};
}  // namespace

TEST(CpuThreads, SmallModelsGetOneThreadLargerOnesEveryCoreWhenWaitingThreadsYieldSoon) {
    const int cores = hardware_cores();
    OmpEnvironment env;

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

}

TEST(CpuThreads, FreeCoresAreTheCoresOtherProcessesUsedLatelyAndStillRun) {
    // free_cores(cores, CPU s used by others in the window, window s, runnable threads now incl. the caller)
    EXPECT_EQ(free_cores(2, 0.0, 0.1, 1), 2) << "nothing else runs";
    EXPECT_EQ(free_cores(2, 0.1, 0.1, 2), 1) << "a busy loop: used a core lately and runs now";
    EXPECT_EQ(free_cores(2, 0.005, 0.1, 2), 2) << "a client reading a token right now (5% of a core lately)";
    EXPECT_EQ(free_cores(2, 0.1, 0.1, 1), 2) << "a neighbour's burst that just ended";
    EXPECT_EQ(free_cores(2, 0.04, 0.1, 2), 2) << "under half a core lately";
    EXPECT_EQ(free_cores(2, 0.3, 0.1, 5), 1) << "never below one";
    EXPECT_EQ(free_cores(8, 0.3, 0.1, 4), 5) << "three cores' worth, three running";
    EXPECT_EQ(free_cores(8, 0.3, 0.1, 2), 7) << "three cores' worth lately, one running now";
    EXPECT_EQ(free_cores(4, -0.01, 0.1, 1), 4) << "tick rounding below zero";
    EXPECT_EQ(free_cores(4, 0.1, 0.0, 3), 4) << "no window yet: nothing known";
    EXPECT_EQ(free_cores(0, 0.0, 0.1, 1), 1);
    EXPECT_GE(idle_cores(), 1);
    EXPECT_LE(idle_cores(), hardware_cores());
}

TEST(CpuThreads, EmbeddingModelsMayUseEveryCoreWhenWaitingThreadsYieldSoon) {
    const int cores = hardware_cores();
    OmpEnvironment env;
    setenv("OMP_WAIT_POLICY", "passive", 1);
    EXPECT_EQ(default_embedding_threads(), cores) << "a small embedding model still gets every core";
    unsetenv("OMP_WAIT_POLICY");
    EXPECT_EQ(default_embedding_threads(), 1) << "libgomp's long spin: one thread, as before";
    setenv("GOMP_SPINCOUNT", "300", 1);
    EXPECT_EQ(default_embedding_threads(), cores);
}
