#include "providers/fleet_provider.h"

#include <cstdio>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // see remote_provider.cpp
#endif

namespace switchyard::providers {

bool fails_over(const ProviderResult& r) {
    if (r.streamed_to_client || r.status == 499) return false;
    return r.status >= 500 || r.status == 429 || r.status == 408;
}

std::string conversation_opening(const json& request) {
    std::string out;
    auto it = request.find("messages");
    if (it == request.end() || !it->is_array()) return out;
    for (const auto& m : *it) {
        if (!m.is_object()) continue;
        std::string role = m.value("role", "");
        auto content = m.find("content");
        std::string text = content == m.end() ? "" : content->is_string() ? content->get<std::string>() : content->dump();
        if (role == "system" || role == "developer") { out += "S:" + text + "\n"; continue; }
        if (role == "user") { out += "U:" + text; break; }
    }
    return out;
}

std::string fleet_metrics(const std::vector<const FleetProvider*>& fleets) {
    if (fleets.empty()) return "";
    struct Family { const char* name; const char* type; const char* help; };
    const Family families[] = {
        {"switchyard_upstream_endpoint_calls_total", "counter", "Calls sent to a fleet endpoint"},
        {"switchyard_upstream_endpoint_failures_total", "counter", "Calls that failed on a fleet endpoint (most then failed over)"},
        {"switchyard_upstream_endpoint_in_flight", "gauge", "Calls in flight on a fleet endpoint"},
        {"switchyard_upstream_endpoint_available", "gauge", "1 while the endpoint's circuit breaker lets calls through"},
    };
    std::string out;
    for (int f = 0; f < 4; ++f) {
        out += std::string("# HELP ") + families[f].name + " " + families[f].help + "\n# TYPE " + families[f].name + " " + families[f].type + "\n";
        for (const auto* fleet : fleets)
            for (std::size_t i = 0; i < fleet->endpoints().size(); ++i) {
                const auto& e = fleet->endpoints()[i];
                double v = f == 0 ? static_cast<double>(e->calls.load()) : f == 1 ? static_cast<double>(e->failures.load())
                         : f == 2 ? e->outstanding.load() : e->provider->available() ? 1 : 0;
                char num[32];
                std::snprintf(num, sizeof num, "%.0f", v);
                // The endpoint's position in `endpoints:`, not its URL: /metrics needs no key, and a
                // URL names internal hosts (as the 502s name the provider, never its address).
                out += std::string(families[f].name) + "{provider=\"" + fleet->name() + "\",endpoint=\"" + std::to_string(i) +
                       "\"} " + num + "\n";
            }
    }
    return out;
}

namespace {
std::vector<double> weights_of(const std::vector<std::unique_ptr<FleetProvider::Endpoint>>& eps) {
    std::vector<double> w;
    for (const auto& e : eps) w.push_back(e->weight);
    return w;
}
}  // namespace

FleetProvider::FleetProvider(std::string name, std::vector<std::unique_ptr<Endpoint>> endpoints, bool prefix_affinity, int max_attempts)
    : name_(std::move(name)),
      endpoints_(std::move(endpoints)),
      prefix_affinity_(prefix_affinity),
      max_attempts_(std::max(1, max_attempts)),
      balancer_(weights_of(endpoints_)) {}

bool FleetProvider::available() const {
    for (const auto& e : endpoints_)
        if (e->provider->available()) return true;
    return false;
}

asio::awaitable<ProviderResult> FleetProvider::chat(const json& request, const ChunkSink* sink) {
    std::vector<int> load;
    std::vector<bool> up;
    for (const auto& e : endpoints_) {
        load.push_back(e->outstanding.load());
        up.push_back(e->provider->available());
    }
    std::optional<std::uint64_t> key;
    if (prefix_affinity_) key = prefix_key(conversation_opening(request));
    const auto order = balancer_.order(load, up, key);

    struct InFlight {  // outstanding stays right even if the coroutine is torn down mid-call
        std::atomic<int>& n;
        explicit InFlight(std::atomic<int>& c) : n(c) { ++n; }
        ~InFlight() { --n; }
    };
    ProviderResult last;
    int attempts = 0;
    for (std::size_t i : order) {
        if (attempts >= max_attempts_) break;
        Endpoint& e = *endpoints_[i];
        if (!e.provider->available()) continue;  // breaker open: its health probe brings it back
        ++attempts;
        ++e.calls;
        ProviderResult r;
        {
            InFlight guard(e.outstanding);
            r = co_await e.provider->chat(request, sink);
        }
        r.retries += attempts - 1;
        if (r.status < 400 || !fails_over(r)) co_return r;
        ++e.failures;
        last = std::move(r);
    }
    if (attempts == 0) {
        last.status = 503;
        last.error = "provider '" + name_ + "' is unavailable: the circuit breakers of all " + std::to_string(endpoints_.size()) +
                     " endpoints are open";
    }
    co_return last;
}

}  // namespace switchyard::providers
