#include "engine/cpu_threads.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <strings.h>
#include <thread>
#include <unistd.h>

namespace switchyard {

void apply_default_omp_wait_policy(char** argv) {
#ifdef __linux__
    if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
    // Set before the exec, so the new image (and anything it starts) sees it; it also stops a loop.
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
    // Exec the file itself, not the /proc/self/exe link: the process name (ps, top, pkill) comes
    // from the path's last component and would become "exe".
    char path[4096];
    const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return;
    path[n] = '\0';
    execv(path, argv);
    // No /proc (or exec refused): carry on; libgomp keeps its spinning default in this process.
#else
    (void)argv;
#endif
}

int default_model_threads(unsigned long long weight_bytes) {
    if (weight_bytes < kSmallModelBytes) return 1;
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    // Every core only where waiting threads sleep. A program that embeds the engine without the
    // re-exec (the C API's users, the unit tests) keeps libgomp's spinning barrier, and there one
    // core is left free so that outside load cannot stall the team: one thread on 2 cores.
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const char* spin = std::getenv("GOMP_SPINCOUNT");
    const bool sleeps = (policy && strcasecmp(policy, "passive") == 0) || (spin && std::string(spin) == "0");
    return static_cast<int>(sleeps ? cores : std::max(1u, cores - 1));
}

}  // namespace switchyard
