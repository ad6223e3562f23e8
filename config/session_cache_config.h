// Configuration of conversation sessions (a session stays on the highest tier it reached) and
// of the exact-match response cache. Both act inside the router (router/session_store.h,
// router/response_cache.h).
#pragma once

#include <chrono>
#include <cstddef>

namespace switchyard {

struct SessionSpec {
    bool enabled = true;                          // only requests carrying a session key are affected
    std::chrono::seconds ttl{1800};               // a session idle this long starts over at the decided tier
    std::size_t max_sessions = 100000;            // the least recently used beyond this are forgotten
};

struct CacheSpec {
    bool enabled = false;
    std::chrono::seconds ttl{600};
    std::size_t max_entries = 1000;
    std::size_t max_bytes = 64u << 20;            // keys + answers
    bool deterministic_only = true;               // only temperature 0 requests (false: every request)
};

}  // namespace switchyard
