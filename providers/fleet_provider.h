// A provider with several endpoints (`endpoints:` in the config): a fleet of interchangeable
// upstreams (vLLM or llama-server replicas, other Switchyards). Each endpoint is a RemoteProvider
// of its own, with its own connection pool, concurrency cap, circuit breaker and health probes;
// FleetBalancer orders them per call (least outstanding requests, weighted, or prefix affinity),
// and a call that fails before the client saw any output moves to the next endpoint of the same
// provider before the router tries the next tier.
#pragma once

#include "providers/fleet_balancer.h"
#include "providers/remote_provider.h"

#include <atomic>
#include <memory>
#include <vector>

namespace switchyard::providers {

class FleetProvider : public Provider {
public:
    struct Endpoint {
        std::unique_ptr<RemoteProvider> provider;
        double weight = 1;
        std::atomic<int> outstanding{0};
        std::atomic<std::uint64_t> calls{0};
        std::atomic<std::uint64_t> failures{0};  // calls that failed over (or failed) here
    };

    // max_attempts: endpoints one call may try (each at most once).
    FleetProvider(std::string name, std::vector<std::unique_ptr<Endpoint>> endpoints, bool prefix_affinity, int max_attempts);

    const std::string& name() const override { return name_; }
    bool is_local() const override { return false; }
    double price_input() const override { return endpoints_.front()->provider->price_input(); }
    double price_output() const override { return endpoints_.front()->provider->price_output(); }
    bool available() const override;  // any endpoint's breaker lets calls through
    asio::awaitable<ProviderResult> chat(const json& request, const ChunkSink* sink) override;

    const std::vector<std::unique_ptr<Endpoint>>& endpoints() const { return endpoints_; }

private:
    std::string name_;
    std::vector<std::unique_ptr<Endpoint>> endpoints_;
    bool prefix_affinity_;
    int max_attempts_;
    FleetBalancer balancer_;
};

// Prometheus text for the fleets' endpoints: calls, failures, in flight, breaker state.
std::string fleet_metrics(const std::vector<const FleetProvider*>& fleets);
// Whether a failed call may go to another endpoint: the upstream failed (5xx, timeout, breaker
// open, refused), or was busy (429, 408), and nothing reached the client yet.
bool fails_over(const ProviderResult& r);
// The part of a chat request that identifies its conversation: the system prompt and the first
// user turn (later turns grow, the opening stays).
std::string conversation_opening(const json& request);

}  // namespace switchyard::providers
