#include "router/response_cache.h"

#include <openssl/evp.h>

namespace switchyard::router {

namespace {

std::string sha256_hex(const std::string& text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(text.data(), text.size(), digest, &n, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < n; ++i) { out += hex[digest[i] >> 4]; out += hex[digest[i] & 15]; }
    return out;
}

// The n-th \x1f-separated field of a key (see key()).
std::string key_field(const std::string& key, int n) {
    std::size_t start = 0;
    for (int i = 0; i < n; ++i) {
        start = key.find('\x1f', start);
        if (start == std::string::npos) return "";
        ++start;
    }
    return key.substr(start, key.find('\x1f', start) - start);
}

}  // namespace

std::string serialize_answer(const CachedAnswer& a) {
    const auto& r = a.result;
    json j = {{"tier", a.tier}, {"provider", a.provider}, {"model", a.model}, {"tier_index", a.tier_index},
              {"result", {{"status", r.status}, {"response", r.response}, {"content", r.content}, {"tool_calls", r.tool_calls},
                          {"token_logprobs", r.token_logprobs}, {"prompt_tokens", r.prompt_tokens},
                          {"completion_tokens", r.completion_tokens}, {"cached_tokens", r.cached_tokens}, {"usage", r.usage},
                          {"finish_reason", r.finish_reason}, {"stop_sequence", r.stop_sequence}}}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<CachedAnswer> deserialize_answer(const std::string& text) {
    json j = json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("result") || !j["result"].is_object()) return std::nullopt;
    try {
        CachedAnswer a;
        a.tier = j.value("tier", "");
        a.provider = j.value("provider", "");
        a.model = j.value("model", "");
        a.tier_index = j.value("tier_index", std::size_t{0});
        const json& r = j["result"];
        a.result.status = r.value("status", 200);
        a.result.response = r.value("response", json());
        a.result.content = r.value("content", "");
        a.result.tool_calls = r.value("tool_calls", json::array());
        a.result.token_logprobs = r.value("token_logprobs", std::vector<float>{});
        a.result.prompt_tokens = r.value("prompt_tokens", 0);
        a.result.completion_tokens = r.value("completion_tokens", 0);
        a.result.cached_tokens = r.value("cached_tokens", 0);
        a.result.usage = r.value("usage", json());
        a.result.finish_reason = r.value("finish_reason", "");
        a.result.stop_sequence = r.value("stop_sequence", "");
        return a;
    } catch (const json::exception&) {
        return std::nullopt;   // a row written by another version: a miss, not an error
    }
}

ResponseCache::ResponseCache(CacheSpec spec, const std::filesystem::path& db_file, const std::string& pg_url) : spec_(spec) {
    if (!spec_.enabled || !spec_.persist) return;
    if (!pg_url.empty()) store_ = std::make_shared<PgCacheStore>(pg_url, spec_.max_entries, spec_.max_bytes);
    else if (!db_file.empty()) store_ = std::make_shared<SqliteCacheStore>(db_file, spec_.max_entries, spec_.max_bytes);
}

std::optional<CachedAnswer> ResponseCache::load(const std::string& key, double now) {
    if (!store_) return std::nullopt;
    double expires = 0;
    std::optional<std::string> row = store_->get(sha256_hex(key), now, &expires);
    if (!row) return std::nullopt;
    std::optional<CachedAnswer> a = deserialize_answer(*row);
    if (!a) return std::nullopt;
    put_until(key, *a, now, expires);   // the next hit is served from memory, until the row's own expiry
    a->source = "database";
    return a;
}

std::function<void()> ResponseCache::persist_job(const std::string& key, const CachedAnswer& answer, double now) const {
    if (!store_) return {};
    CacheRow row{sha256_hex(key), key_field(key, 0), key_field(key, 2), serialize_answer(answer),
                 now + static_cast<double>(spec_.ttl.count())};
    return [store = store_, row = std::move(row), now] {
        try {
            store->put(row, now);
        } catch (const std::exception&) {
            // A cache write that fails (disk full, locked) costs a future hit, nothing more.
        }
    };
}

bool ResponseCache::bypassed(const json& request) {
    if (!request.contains("metadata") || !request["metadata"].is_object()) return false;
    const json& m = request["metadata"];
    if (!m.contains("cache")) return false;
    const json& v = m["cache"];
    return v == false || v == "false" || v == "bypass" || v == "off";
}

bool ResponseCache::cacheable(const json& request) const {
    if (!spec_.enabled) return false;
    if (!spec_.deterministic_only) return true;
    // Greedy decoding gives the same answer for the same input; sampling does not.
    return request.contains("temperature") && request["temperature"].is_number() && request["temperature"].get<double>() == 0.0;
}

std::string ResponseCache::key(const json& request, const std::string& route, std::size_t start_tier, const std::string& scope) {
    json norm = request;
    for (const char* k : {"stream", "stream_options", "metadata", "user", "store"}) norm.erase(k);
    // nlohmann's objects are ordered maps, so equal requests dump to equal text.
    return route + '\x1f' + std::to_string(start_tier) + '\x1f' + scope + '\x1f' + norm.dump();
}

std::optional<CachedAnswer> ResponseCache::get(const std::string& key, double now) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.expires < now) {
        bytes_ -= it->second.bytes;
        lru_.erase(it->second.lru);
        entries_.erase(it);
        return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.answer;
}

void ResponseCache::put(const std::string& key, const CachedAnswer& answer, double now) {
    put_until(key, answer, now, now + static_cast<double>(spec_.ttl.count()));
}

void ResponseCache::put_until(const std::string& key, const CachedAnswer& answer, double, double expires) {
    std::lock_guard lock(mu_);
    const std::size_t size = key.size() * 2 + answer.result.content.size() + answer.result.tool_calls.dump().size() +
                             (answer.result.response.is_null() ? 0 : answer.result.response.dump().size()) + 256;
    if (size > spec_.max_bytes) return;
    if (auto it = entries_.find(key); it != entries_.end()) {
        bytes_ -= it->second.bytes;
        lru_.erase(it->second.lru);
        entries_.erase(it);
    }
    lru_.push_front(key);
    Entry e{answer, expires, size, lru_.begin()};
    e.answer.result.streamed_to_client = false;
    entries_.emplace(key, std::move(e));
    bytes_ += size;
    evict_locked();
}

void ResponseCache::evict_locked() {
    while (!lru_.empty() && (entries_.size() > spec_.max_entries || bytes_ > spec_.max_bytes)) {
        auto it = entries_.find(lru_.back());
        bytes_ -= it->second.bytes;
        entries_.erase(it);
        lru_.pop_back();
    }
}

std::size_t ResponseCache::size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
}

std::size_t ResponseCache::bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
}

}  // namespace switchyard::router
