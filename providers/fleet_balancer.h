// Which endpoint of a fleet takes the next request (providers/fleet_provider.h). Pure logic,
// thread-safe, tested without sockets.
//
// Least outstanding requests, weighted: the endpoint with the fewest calls in flight per unit of
// weight wins. Ties (e.g. an idle fleet) go by smooth weighted round robin, so sequential
// traffic spreads in proportion to the weights instead of always hitting the first endpoint.
// With prefix affinity, the same prefix key (a conversation's opening) prefers the same endpoint
// (weighted rendezvous hashing: stable while endpoints come and go) so its KV cache is reused.
// The answer is a full order: the first available endpoint is tried first, the rest are the
// failover order.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::providers {

class FleetBalancer {
public:
    explicit FleetBalancer(std::vector<double> weights);
    // `outstanding[i]`: calls in flight on endpoint i; `available[i]`: its breaker lets calls
    // through. Unavailable endpoints come last (still listed: if all are out, the caller decides).
    std::vector<std::size_t> order(const std::vector<int>& outstanding, const std::vector<bool>& available,
                                   const std::optional<std::uint64_t>& affinity_key);
    std::size_t size() const { return weights_.size(); }

private:
    std::vector<double> weights_;
    std::mutex mu_;
    std::vector<double> current_;  // smooth weighted round robin state
};

// A stable 64-bit key for the opening of a conversation (system prompt and first user turn).
std::uint64_t prefix_key(const std::string& opening);

}  // namespace switchyard::providers
