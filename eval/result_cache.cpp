#include "eval/result_cache.h"

#include <cstdio>
#include <stdexcept>

namespace switchyard::eval {

std::string stable_hash(const std::string& text) {
    std::uint64_t h = 14695981039346656037ull;  // FNV-1a 64 offset basis
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

ResultCache::ResultCache(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    const auto file = dir / "results.jsonl";
    {
        std::ifstream in(file);
        std::string line;
        while (std::getline(in, line)) {
            json j = json::parse(line, nullptr, false);
            if (j.is_object() && j.contains("key") && j.contains("value")) entries_[j["key"].get<std::string>()] = j["value"];
        }
    }
    out_.open(file, std::ios::app);
    if (!out_) throw std::runtime_error("cannot write cache " + file.string());
}

std::string ResultCache::key(const std::string& target, const json& request) {
    // The request's "model" is the run's internal route name; the target says what really answers.
    json body = request;
    body.erase("model");
    const std::string text = target + "\x1f" + body.dump();
    return stable_hash(text) + stable_hash(text + "\x1f");  // 128 bits: collisions out of the question
}

std::optional<json> ResultCache::get(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

void ResultCache::put(const std::string& key, const json& value) {
    std::lock_guard lock(mu_);
    entries_[key] = value;
    out_ << json{{"key", key}, {"value", value}}.dump() << "\n";
    out_.flush();
}

std::size_t ResultCache::size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
}

}  // namespace switchyard::eval
