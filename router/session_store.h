// Sessions: a conversation (a session key from metadata.session_id, X-Switchyard-Session or a
// Responses previous_response_id chain) stays on the highest tier of its route that answered
// it, for `sessions.ttl` after its last turn, so an agent that escalated once does not bounce
// back to the small tier on the next turn. Scoped per API key and route; memory only.
#pragma once

#include "config/config.h"
#include "router/policy.h"

#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace switchyard::router {

class SessionStore {
public:
    explicit SessionStore(SessionSpec spec) : spec_(spec) {}
    bool enabled() const { return spec_.enabled; }
    // Raises d.tier to the session's tier (trace step "session") when the session reached a
    // higher one; returns the session's tier name ("" when unknown or expired).
    std::string apply(const RouteSpec& route, const std::string& scope, const std::string& session, Decision& d, double now) const;
    // The session was answered by tier `index`: remember it if it is the highest so far.
    void reached(const RouteSpec& route, const std::string& scope, const std::string& session, std::size_t index, double now);
    std::size_t size() const;

private:
    struct Entry {
        std::size_t tier = 0;
        double expires = 0;
        std::list<std::string>::iterator lru;
    };
    static std::string key(const std::string& route, const std::string& scope, const std::string& session);
    SessionSpec spec_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> lru_;             // most recent first
};

// The session key of a request: the header value, else metadata.session_id ("" = none).
std::string session_of(const json& request, const std::string& header);

}  // namespace switchyard::router
