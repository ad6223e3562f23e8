// Configuration of conversation sessions (a session stays on the highest tier it reached) and
// of the exact-match response cache. Both act inside the router (router/session_store.h,
// router/response_cache.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace switchyard {

struct SessionSpec {
    bool enabled = true;                          // only requests carrying a session key are affected
    std::chrono::seconds ttl{1800};               // a session idle this long starts over at the decided tier
    std::size_t max_sessions = 100000;            // the least recently used beyond this are forgotten
};

// The optional semantic cache: a request whose prompt embeds close to a cached request's (cosine
// similarity at least the threshold), with the same route, start tier, caller key, task class and
// parameters, is answered with that request's answer (router/semantic_cache.h).
struct SemanticCacheSpec {
    std::string model;                            // a configured embedding model ("" = off)
    float threshold = 0.95f;
    std::map<std::string, float> classes;         // task class -> threshold; when set, only these classes use it
    bool enabled() const { return !model.empty(); }
    // The threshold for a class; < 0 when the class does not use the semantic cache.
    float threshold_for(const std::string& task_class) const {
        if (classes.empty()) return threshold;
        auto it = classes.find(task_class);
        return it == classes.end() ? -1.0f : it->second;
    }
};

struct CacheSpec {
    bool enabled = false;
    std::chrono::seconds ttl{600};
    std::size_t max_entries = 1000;
    std::size_t max_bytes = 64u << 20;            // keys + answers
    bool deterministic_only = true;               // only temperature 0 requests (false: every request)
    bool persist = true;                          // also in the request log's SQLite file (log.path), so it survives restarts
    SemanticCacheSpec semantic;
};

// What /mcp offers besides the pipelines: routes (and model names) as tools, when listed.
struct McpSpec {
    bool all_routes = false;                      // mcp.routes: true -- every configured route
    std::vector<std::string> routes;              // mcp.routes: [auto, ...]
};

}  // namespace switchyard
