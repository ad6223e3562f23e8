#include "router/session_store.h"

namespace switchyard::router {

std::string session_of(const json& request, const std::string& header) {
    if (!header.empty()) return header;
    if (request.contains("metadata") && request["metadata"].is_object()) {
        const json& m = request["metadata"];
        if (m.contains("session_id") && m["session_id"].is_string()) return m["session_id"].get<std::string>();
    }
    return "";
}

std::string SessionStore::key(const std::string& route, const std::string& scope, const std::string& session) {
    return route + '\x1f' + scope + '\x1f' + session;
}

std::string SessionStore::apply(const RouteSpec& route, const std::string& scope, const std::string& session, Decision& d, double now) const {
    if (!spec_.enabled || session.empty()) return "";
    std::lock_guard lock(mu_);
    auto it = entries_.find(key(route.name, scope, session));
    if (it == entries_.end() || it->second.expires < now || it->second.tier >= route.tiers.size()) return "";
    const std::size_t tier = it->second.tier;
    if (tier > d.tier) {
        d.trace.push_back({{"step", "session"}, {"session", session}, {"from", route.tiers[d.tier].name}, {"tier", route.tiers[tier].name},
                           {"why", "the session reached this tier earlier"}});
        d.tier = tier;
    } else {
        d.trace.push_back({{"step", "session"}, {"session", session}, {"tier", route.tiers[d.tier].name}});
    }
    return route.tiers[tier].name;
}

void SessionStore::reached(const RouteSpec& route, const std::string& scope, const std::string& session, std::size_t index, double now) {
    if (!spec_.enabled || session.empty()) return;
    std::lock_guard lock(mu_);
    const std::string k = key(route.name, scope, session);
    auto it = entries_.find(k);
    if (it == entries_.end()) {
        lru_.push_front(k);
        it = entries_.emplace(k, Entry{index, 0, lru_.begin()}).first;
        while (entries_.size() > spec_.max_sessions) {
            entries_.erase(lru_.back());
            lru_.pop_back();
        }
    } else {
        if (it->second.expires < now) it->second.tier = 0;   // expired: starts over
        lru_.splice(lru_.begin(), lru_, it->second.lru);
    }
    it->second.tier = std::max(it->second.tier, index);
    it->second.expires = now + static_cast<double>(spec_.ttl.count());
}

std::size_t SessionStore::size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
}

}  // namespace switchyard::router
