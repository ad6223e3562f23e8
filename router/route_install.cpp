// Router::install_route: swaps a route's compiled policy, classifier and learned router while
// requests run. Used by the admin endpoint that hot-loads a promoted specialist
// (api/admin_routes.cpp). The learned router is rebuilt too because it holds tier *indices*: a
// promotion inserts a tier below the large one, and an old index would then name the specialist.
#include "router/router.h"

#include <mutex>
#include <optional>

namespace switchyard::router {

void Router::install_route(const RouteSpec& route, const Config& config) {
    // Compile outside the lock: a bad regex or classifier index throws before anything changes.
    auto policy = std::make_unique<RoutePolicy>(route);
    std::vector<std::unique_ptr<RoutePolicy>> alias_policies;
    for (std::size_t i = 0; i < route.aliases.size(); ++i) alias_policies.push_back(std::make_unique<RoutePolicy>(route));
    std::optional<Classified> classified;
    std::optional<Learned> learned;
    if (route.learned && pool_) {
        auto lr = std::make_unique<RouteLearnedRouter>(route, config);
        auto embed = lr->model().needs_embedding() ? pool_embedder(*pool_, lr->embed_model()) : Embedder{};
        learned = Learned{std::move(lr), std::move(embed)};
    }
    if (route.classifier && pool_) {
        auto rc = std::make_unique<RouteClassifier>(route, config);
        auto embed = pool_embedder(*pool_, rc->embed_model());
        classified = Classified{std::move(rc), std::move(embed)};
    }
    std::unique_lock lock(routes_mu_);
    if (auto it = policies_.find(route.name); it != policies_.end()) retired_policies_.push_back(std::move(it->second));
    policies_[route.name] = std::move(policy);
    for (std::size_t i = 0; i < route.aliases.size(); ++i) {   // the same route under its other names
        auto& slot = policies_[route.aliases[i]];
        if (slot) retired_policies_.push_back(std::move(slot));
        slot = std::move(alias_policies[i]);
    }
    if (auto it = classifiers_.find(route.name); it != classifiers_.end()) {
        retired_classifiers_.push_back(std::move(it->second));
        classifiers_.erase(it);
    }
    if (classified) classifiers_.emplace(route.name, std::move(*classified));
    // Readers copy the embedder and decide under routes_mu_ (Router::route_by_model), so the
    // learned router can be replaced in place, without keeping the old one alive.
    if (learned) learned_.insert_or_assign(route.name, std::move(*learned));
    else learned_.erase(route.name);
}

}  // namespace switchyard::router
