#include "providers/remote_factory.h"

#include "providers/fleet_provider.h"
#include "providers/remote_provider.h"

#include <cstdlib>
#include <iostream>

namespace switchyard::providers {
namespace {

// One RemoteProvider per endpoint, named "provider[i]" in messages. An endpoint does not retry
// on its own: a failed call moves to another endpoint (up to retries + 1 of them, at least 2).
std::unique_ptr<Provider> make_fleet(asio::any_io_executor ex, const RemoteProviderSpec& spec) {
    std::vector<std::unique_ptr<FleetProvider::Endpoint>> endpoints;
    for (std::size_t i = 0; i < spec.endpoints.size(); ++i) {
        RemoteProviderSpec cfg = spec;
        cfg.endpoints.clear();
        cfg.prefix_affinity = false;
        cfg.name = spec.name + "[" + std::to_string(i) + "]";
        cfg.base_url = spec.endpoints[i].base_url;
        cfg.max_retries = 0;
        auto e = std::make_unique<FleetProvider::Endpoint>();
        e->provider = std::make_unique<RemoteProvider>(ex, std::move(cfg));
        e->provider->start_health_probes();
        e->weight = spec.endpoints[i].weight;
        endpoints.push_back(std::move(e));
    }
    int attempts = std::min<int>(static_cast<int>(spec.endpoints.size()), std::max(2, spec.max_retries + 1));
    return std::make_unique<FleetProvider>(spec.name, std::move(endpoints), spec.prefix_affinity, attempts);
}

}  // namespace

// Turns a configured remote provider into a RemoteProvider. The API key is read from the
// environment here, at start, so keys never live in the config file; a provider whose key
// variable is unset is left out (nullptr) rather than sending unauthenticated requests.
std::function<std::unique_ptr<Provider>(const RemoteProviderSpec&)> remote_provider_factory(asio::any_io_executor ex) {
    return [ex](const RemoteProviderSpec& spec) -> std::unique_ptr<Provider> {
        RemoteProviderSpec cfg = spec;
        if (!spec.api_key_env.empty()) {
            const char* key = std::getenv(spec.api_key_env.c_str());
            if (!key || !*key) {
                // Not fatal: the routes skip this provider ("not configured") and local tiers answer.
                std::cerr << "warning: provider '" << spec.name << "' is disabled: environment variable " << spec.api_key_env
                          << " is not set\n";
                return nullptr;
            }
            cfg.api_key = key;
        }
        if (!spec.endpoints.empty()) return make_fleet(ex, cfg);
        auto provider = std::make_unique<RemoteProvider>(ex, std::move(cfg));
        provider->start_health_probes();
        return provider;
    };
}

}  // namespace switchyard::providers
