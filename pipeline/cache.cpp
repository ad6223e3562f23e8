#include "pipeline/cache.h"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace switchyard::pipeline {

std::uint64_t fnv1a64(const std::string& bytes) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

std::string stable_hash(const nlohmann::json& value) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a64(value.dump())));
    return buf;
}

NodeCache::NodeCache(std::filesystem::path dir) : dir_(std::move(dir)) {
    if (!dir_.empty()) std::filesystem::create_directories(dir_);
}

std::filesystem::path NodeCache::file_for(const std::string& key) const { return dir_ / (key + ".json"); }

std::optional<nlohmann::json> NodeCache::get(const std::string& key) {
    {
        std::lock_guard lock(mu_);
        if (auto it = memory_.find(key); it != memory_.end()) return it->second;
    }
    if (dir_.empty()) return std::nullopt;
    std::ifstream in(file_for(key));
    if (!in) return std::nullopt;
    // A corrupt or foreign file is a miss, not an error: the node simply runs again.
    auto value = nlohmann::json::parse(in, nullptr, false);
    if (value.is_discarded()) return std::nullopt;
    std::lock_guard lock(mu_);
    memory_[key] = value;
    return value;
}

void NodeCache::put(const std::string& key, const nlohmann::json& value) {
    {
        std::lock_guard lock(mu_);
        memory_[key] = value;
    }
    if (dir_.empty()) return;
    static std::atomic<unsigned> counter{0};
    std::ostringstream tmp_name;
    tmp_name << key << ".tmp" << std::hash<std::thread::id>{}(std::this_thread::get_id()) << "-" << counter++;
    auto tmp = dir_ / tmp_name.str();
    {
        std::ofstream out(tmp);
        if (!out) return;   // an unwritable cache only costs speed
        out << value.dump();
    }
    std::error_code ec;
    std::filesystem::rename(tmp, file_for(key), ec);
    if (ec) std::filesystem::remove(tmp, ec);
}

void NodeCache::clear_memory() {
    std::lock_guard lock(mu_);
    memory_.clear();
}

}  // namespace switchyard::pipeline
