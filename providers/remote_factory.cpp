#include "providers/remote_factory.h"

#include "providers/remote_provider.h"

#include <cstdlib>
#include <iostream>

namespace switchyard::providers {

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
        auto provider = std::make_unique<RemoteProvider>(ex, std::move(cfg));
        provider->start_health_probes();
        return provider;
    };
}

}  // namespace switchyard::providers
