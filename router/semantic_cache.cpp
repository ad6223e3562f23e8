#include "router/semantic_cache.h"

#include <cmath>

namespace switchyard::router {

namespace {

std::string text_of(const json& content) {
    if (content.is_string()) return content.get<std::string>();
    std::string out;
    if (!content.is_array()) return out;
    for (const auto& p : content)
        if (p.is_object() && p.value("type", "") == "text" && p.contains("text") && p["text"].is_string()) {
            if (!out.empty()) out += "\n";
            out += p["text"].get<std::string>();
        }
    return out;
}

void normalise(std::vector<float>& v) {
    double n = 0;
    for (float x : v) n += double(x) * x;
    if (n <= 0) return;
    const float inv = static_cast<float>(1.0 / std::sqrt(n));
    for (float& x : v) x *= inv;
}

}  // namespace

float cosine(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty()) return 0;
    double dot = 0, na = 0, nb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        dot += double(a[i]) * b[i];
        na += double(a[i]) * a[i];
        nb += double(b[i]) * b[i];
    }
    return na > 0 && nb > 0 ? static_cast<float>(dot / std::sqrt(na * nb)) : 0.0f;
}

bool SemanticCache::split(const json& request, const std::string& route, std::size_t start_tier, const std::string& scope,
                          const std::string& task_class, std::string& text, std::string& partition) {
    if (!request.contains("messages") || !request["messages"].is_array() || request["messages"].empty()) return false;
    json rest = request;
    json& msgs = rest["messages"];
    json& last = msgs.back();
    if (!last.is_object() || last.value("role", "") != "user" || !last.contains("content")) return false;
    text = text_of(last["content"]);
    if (text.empty()) return false;
    // An image or other part besides the text would make two "similar" texts different requests.
    if (last["content"].is_array())
        for (const auto& p : last["content"])
            if (!p.is_object() || p.value("type", "") != "text") return false;
    last.erase("content");
    partition = ResponseCache::key(rest, route, start_tier, scope) + '\x1f' + task_class;
    return true;
}

std::optional<SemanticCache::Hit> SemanticCache::find(const std::string& partition, const std::vector<float>& embedding,
                                                      float threshold, double now, float* best_seen) {
    std::lock_guard lock(mu_);
    while (!entries_.empty() && entries_.front().expires < now) entries_.pop_front();
    std::optional<Hit> best;
    if (best_seen) *best_seen = -1;
    for (const auto& e : entries_) {
        if (e.expires < now || e.partition != partition) continue;
        const float s = cosine(e.embedding, embedding);
        if (best_seen && s > *best_seen) *best_seen = s;
        if (s >= threshold && (!best || s > best->similarity)) best = Hit{e.answer, s};
    }
    if (best) best->answer.source = "semantic";
    return best;
}

void SemanticCache::put(const std::string& partition, std::vector<float> embedding, const CachedAnswer& answer, double now) {
    normalise(embedding);
    std::lock_guard lock(mu_);
    Entry e{partition, std::move(embedding), answer, now + static_cast<double>(spec_.ttl.count())};
    e.answer.result.streamed_to_client = false;
    entries_.push_back(std::move(e));
    // Entries expire in insertion order (one TTL), so the oldest go first either way.
    while (entries_.size() > spec_.max_entries) entries_.pop_front();
}

std::size_t SemanticCache::size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
}

}  // namespace switchyard::router
