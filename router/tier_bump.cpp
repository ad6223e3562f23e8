#include "router/tier_bump.h"

namespace switchyard::router {

std::optional<TierBump> TierBumps::rate(const RouteSpec& route, const std::string& task_class,
                                        const std::string& tier, bool down, double now,
                                        const std::vector<bool>* shared_window) {
    if (!route.feedback.enabled) return std::nullopt;
    std::size_t index = route.tiers.size();
    for (std::size_t i = 0; i < route.tiers.size(); ++i)
        if (route.tiers[i].name == tier) index = i;
    if (index == route.tiers.size()) return std::nullopt;  // a tier the route no longer has

    std::lock_guard lock(mu_);
    auto& window = windows_[{route.name, task_class, tier}];
    if (shared_window) window.assign(shared_window->begin(), shared_window->end());
    else window.push_back(down);
    while (static_cast<int>(window.size()) > route.feedback.window) window.pop_front();
    if (static_cast<int>(window.size()) < route.feedback.min_ratings) return std::nullopt;
    int downs = 0;
    for (bool d : window) downs += d;
    double rate = static_cast<double>(downs) / window.size();
    if (rate <= route.feedback.max_down_rate || index + 1 >= route.tiers.size()) return std::nullopt;

    auto key = std::make_pair(route.name, task_class);
    auto it = bumps_.find(key);
    if (it != bumps_.end() && it->second.to_index > index) return std::nullopt;
    TierBump b{route.name, task_class, tier, route.tiers[index + 1].name, index + 1, rate, static_cast<int>(window.size()), now};
    bumps_[key] = b;
    return b;
}

std::optional<TierBump> TierBumps::active(const std::string& route, const std::string& task_class) const {
    std::lock_guard lock(mu_);
    auto it = bumps_.find({route, task_class});
    if (it == bumps_.end()) return std::nullopt;
    return it->second;
}

std::vector<TierBump> TierBumps::list() const {
    std::lock_guard lock(mu_);
    std::vector<TierBump> out;
    for (const auto& [key, b] : bumps_) out.push_back(b);
    return out;
}

int TierBumps::reset(const std::string& route, const std::string& task_class) {
    std::lock_guard lock(mu_);
    int removed = 0;
    for (auto it = bumps_.begin(); it != bumps_.end();) {
        bool match = (route.empty() || it->first.first == route) && (task_class.empty() || it->first.second == task_class);
        if (match) { it = bumps_.erase(it); ++removed; } else ++it;
    }
    for (auto it = windows_.begin(); it != windows_.end();) {
        bool match = (route.empty() || std::get<0>(it->first) == route) && (task_class.empty() || std::get<1>(it->first) == task_class);
        it = match ? windows_.erase(it) : std::next(it);
    }
    return removed;
}

void TierBumps::replace_all(const std::vector<TierBump>& bumps) {
    std::lock_guard lock(mu_);
    std::map<std::pair<std::string, std::string>, TierBump> next;
    for (const auto& b : bumps) {
        auto& slot = next[{b.route, b.task_class}];
        if (slot.to_tier.empty() || slot.to_index < b.to_index) slot = b;
    }
    bumps_ = std::move(next);
}

void TierBumps::restore(const TierBump& bump) {
    std::lock_guard lock(mu_);
    auto key = std::make_pair(bump.route, bump.task_class);
    auto it = bumps_.find(key);
    if (it == bumps_.end() || it->second.to_index < bump.to_index) bumps_[key] = bump;
}

}  // namespace switchyard::router
