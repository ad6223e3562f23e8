// The optional semantic cache (`cache.semantic`): when the exact-match cache misses, the last user
// message is embedded and compared with those of earlier answered requests in the same
// partition -- same route, start tier, caller key and task class, and the same request apart
// from that message's text (history, system prompt, tools, sampling, max_tokens). The closest
// one at or above the class's cosine-similarity threshold answers. Opt-in per configuration,
// bypassed with the exact cache (`X-Switchyard-Cache: bypass`, `metadata.cache: false`) or on
// its own (`X-Switchyard-Cache: exact`). In memory only, bounded by cache.max_entries and cache.ttl.
#pragma once

#include "router/response_cache.h"

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::router {

class SemanticCache {
public:
    explicit SemanticCache(CacheSpec spec) : spec_(std::move(spec)) {}
    bool enabled() const { return spec_.enabled && spec_.semantic.enabled(); }
    const std::string& model() const { return spec_.semantic.model; }
    // The threshold for a task class; < 0 when the class does not use the semantic cache.
    float threshold(const std::string& task_class) const { return spec_.semantic.threshold_for(task_class); }

    // The text compared (the last user message) and the partition the rest of the request falls
    // in. False when the request has no user text to compare.
    static bool split(const json& request, const std::string& route, std::size_t start_tier, const std::string& scope,
                      const std::string& task_class, std::string& text, std::string& partition);

    struct Hit {
        CachedAnswer answer;
        float similarity = 0;
    };
    // The most similar live entry of the partition at or above `threshold`; *best gets the highest
    // similarity seen (-1: no entry to compare), hit or not, for the trace.
    std::optional<Hit> find(const std::string& partition, const std::vector<float>& embedding, float threshold, double now,
                            float* best = nullptr);
    void put(const std::string& partition, std::vector<float> embedding, const CachedAnswer& answer, double now);
    std::size_t size() const;

private:
    struct Entry {
        std::string partition;
        std::vector<float> embedding;   // unit length
        CachedAnswer answer;
        double expires = 0;
    };
    CacheSpec spec_;
    mutable std::mutex mu_;
    std::deque<Entry> entries_;         // oldest first
};

// Cosine similarity of two vectors (0 when either is zero or their sizes differ).
float cosine(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace switchyard::router
