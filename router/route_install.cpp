// Router::install_route: swaps a route's compiled policy (and classifier) while requests run.
// Used by the admin endpoint that hot-loads a promoted specialist (api/admin_routes.cpp).
#include "router/router.h"

#include <mutex>
#include <optional>

namespace switchyard::router {

void Router::install_route(const RouteSpec& route, const Config& config) {
    // Compile outside the lock: a bad regex or classifier index throws before anything changes.
    auto policy = std::make_unique<RoutePolicy>(route);
    std::optional<Classified> classified;
    if (route.classifier && pool_) {
        auto rc = std::make_unique<RouteClassifier>(route, config);
        auto embed = pool_embedder(*pool_, rc->embed_model());
        classified = Classified{std::move(rc), std::move(embed)};
    }
    std::unique_lock lock(routes_mu_);
    if (auto it = policies_.find(route.name); it != policies_.end()) retired_policies_.push_back(std::move(it->second));
    policies_[route.name] = std::move(policy);
    if (auto it = classifiers_.find(route.name); it != classifiers_.end()) {
        retired_classifiers_.push_back(std::move(it->second));
        classifiers_.erase(it);
    }
    if (classified) classifiers_.emplace(route.name, std::move(*classified));
}

}  // namespace switchyard::router
