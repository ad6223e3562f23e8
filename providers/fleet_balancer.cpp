#include "providers/fleet_balancer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace switchyard::providers {
namespace {

// splitmix64: a well-mixed hash of (key, endpoint) for rendezvous hashing.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace

std::uint64_t prefix_key(const std::string& opening) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a: stable across processes and builds
    for (unsigned char c : opening) h = (h ^ c) * 1099511628211ull;
    return h;
}

FleetBalancer::FleetBalancer(std::vector<double> weights) : weights_(std::move(weights)), current_(weights_.size(), 0) {}

std::vector<std::size_t> FleetBalancer::order(const std::vector<int>& outstanding, const std::vector<bool>& available,
                                              const std::optional<std::uint64_t>& affinity_key) {
    const std::size_t n = weights_.size();
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    if (affinity_key) {
        // Weighted rendezvous: score = w / -ln(u), u uniform in (0,1) from hash(key, endpoint).
        std::vector<double> score(n);
        for (std::size_t i = 0; i < n; ++i) {
            double u = (static_cast<double>(mix(*affinity_key ^ mix(i + 1)) >> 11) + 0.5) / 9007199254740992.0;
            score[i] = weights_[i] / -std::log(u);
        }
        std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
            if (available[a] != available[b]) return static_cast<bool>(available[a]);
            return score[a] > score[b];
        });
        return idx;
    }
    auto load = [&](std::size_t i) { return outstanding[i] / weights_[i]; };
    std::lock_guard lock(mu_);
    // Among the available endpoints with the lowest load, smooth weighted round robin picks one.
    double best = -1;
    for (std::size_t i = 0; i < n; ++i)
        if (available[i] && (best < 0 || load(i) < best)) best = load(i);
    std::optional<std::size_t> pick;
    if (best >= 0) {
        double total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (!available[i] || load(i) > best + 1e-9) continue;
            current_[i] += weights_[i];
            total += weights_[i];
            if (!pick || current_[i] > current_[*pick]) pick = i;
        }
        current_[*pick] -= total;
    }
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        if (pick && (a == *pick || b == *pick)) return a == *pick && b != *pick;
        if (available[a] != available[b]) return static_cast<bool>(available[a]);
        return load(a) < load(b);
    });
    return idx;
}

}  // namespace switchyard::providers
