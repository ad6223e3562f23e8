// Builds the Provider for a configured remote endpoint (providers/remote_provider.h).
#pragma once

#include "config/routing_config.h"
#include "providers/provider.h"

#include <functional>
#include <memory>

namespace switchyard::providers {

std::function<std::unique_ptr<Provider>(const RemoteProviderSpec&)> remote_provider_factory(asio::any_io_executor ex);

}  // namespace switchyard::providers
