#include "providers/remote_factory.h"

namespace switchyard::providers {

// Until the remote client lands, remote tiers report themselves unavailable (the router skips them).
std::function<std::unique_ptr<Provider>(const RemoteProviderSpec&)> remote_provider_factory(asio::any_io_executor) {
    return nullptr;
}

}  // namespace switchyard::providers
