#include "engine/cpu_threads.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <strings.h>
#include <thread>
#include <sys/resource.h>
#include <unistd.h>

namespace switchyard {

namespace {
// True when libgomp's waiting threads give their core up within microseconds: a passive policy,
// or a spin count no longer than the default this program sets.
bool waiting_threads_yield_soon() {
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const char* spin = std::getenv("GOMP_SPINCOUNT");
    if (policy && strcasecmp(policy, "passive") == 0) return true;
    if (!spin || !*spin) return false;
    char* end = nullptr;
    const unsigned long long n = std::strtoull(spin, &end, 10);
    return *end == '\0' && n <= kShortSpinCount;
}
int hardware_cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

// Busy time of all CPUs since boot in seconds (user + nice + system + irq + softirq + steal), or
// a negative value when /proc/stat cannot be read.
double machine_busy_s() {
    std::ifstream f("/proc/stat");
    std::string cpu;
    unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return -1;
    static const double tick = static_cast<double>(sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100);
    return static_cast<double>(user + nice + system + irq + softirq + steal) / tick;
}

// This process's CPU time (all its threads) in seconds.
double own_cpu_s() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Runnable threads on the machine now (/proc/loadavg's fourth field, "R/total"), or -1.
int runnable_threads_now() {
    std::ifstream f("/proc/loadavg");
    std::string one, five, fifteen, entities;
    if (!(f >> one >> five >> fifteen >> entities)) return -1;
    const auto slash = entities.find('/');
    if (slash == std::string::npos || slash == 0) return -1;
    int n = 0;
    for (std::size_t i = 0; i < slash; ++i) {
        if (entities[i] < '0' || entities[i] > '9') return -1;
        n = std::min(n * 10 + (entities[i] - '0'), 1 << 20);
    }
    return n;
}
}  // namespace

void apply_default_omp_wait_policy(char** argv) {
#ifdef __linux__
    if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
    // Set before the exec, so the new image (and anything it starts) sees it; it also stops a loop.
    if (setenv("GOMP_SPINCOUNT", std::to_string(kShortSpinCount).c_str(), 1) != 0) return;
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
    // Every core only where waiting threads give theirs up soon. A program that embeds the engine
    // without the re-exec (the C API's users, the unit tests) keeps libgomp's long spin, and there
    // one core is left free so that outside load cannot stall the team: one thread on 2 cores.
    const int cores = hardware_cores();
    return waiting_threads_yield_soon() ? cores : std::max(1, cores - 1);
}

int default_embedding_threads() {
    // Under libgomp's long spin (an application embedding the engine) one thread, as before: the
    // free-core check cannot see the application's own busy threads, and a long-spinning team
    // beside them would stall.
    return waiting_threads_yield_soon() ? hardware_cores() : 1;
}

int free_cores(int cores, double others_busy_s, double wall_s, int runnable_now) {
    cores = std::max(1, cores);
    const double others = wall_s > 0 && others_busy_s > 0 ? others_busy_s / wall_s : 0;
    const int taken_lately = static_cast<int>(std::ceil(std::min<double>(others, cores) - 0.5));
    const int taken_now = runnable_now - 1;
    const int taken = std::max(0, std::min(taken_lately, taken_now));
    return std::clamp(cores - taken, 1, cores);
}

int idle_cores() {
    static std::mutex mu;
    static std::chrono::steady_clock::time_point last_at{};
    static double last_busy = -1, last_own = 0;
    static int decided = 1;
    std::lock_guard lock(mu);
    const auto now = std::chrono::steady_clock::now();
    if (last_busy >= 0 && now - last_at < std::chrono::milliseconds(kCoreSampleMs)) return decided;
    const double busy = machine_busy_s(), own = own_cpu_s();
    int runnable = runnable_threads_now();
    if (busy < 0 || runnable < 0) return hardware_cores();
    const bool first = last_busy < 0;
    double others_busy = first ? 0 : (busy - last_busy) - (own - last_own);
    const double window = first ? 0 : std::chrono::duration<double>(now - last_at).count();
    // After a pause (the first step of a request after idle time) the window reaches back past
    // it: a neighbour's burst that ended long ago would take a core, a busy loop started just now
    // would be averaged away. Such a window says nothing, and the runnable count decides alone.
    if (window > 3 * kCoreSampleMs / 1000.0) others_busy = window * hardware_cores();
    last_at = now;
    last_busy = busy;
    last_own = own;
    // A thread that is runnable only for a moment (the client that just sent this request, the
    // I/O thread writing a token) must not take a core for the next 100 ms: before giving one
    // up, look again a few times, 200 us apart, and count what stays runnable.
    for (int look = 0; look < 5 && free_cores(hardware_cores(), others_busy, window, runnable) < hardware_cores(); ++look) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        const int again = runnable_threads_now();
        if (again >= 0) runnable = std::min(runnable, again);
    }
    return decided = free_cores(hardware_cores(), others_busy, window, runnable);
}

}  // namespace switchyard
