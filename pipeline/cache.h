// Node result cache: results keyed by a stable hash of everything that determines them (node
// type and version, params, input values, model identities), kept in memory and optionally on
// disk as one JSON file per key, so a re-run after an edit only executes what changed.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace switchyard::pipeline {

// 64-bit FNV-1a: stable across runs, platforms and builds (unlike std::hash), no dependency.
// Collisions are not a security concern here: keys are computed from our own inputs.
std::uint64_t fnv1a64(const std::string& bytes);
// Hash of the canonical JSON form (nlohmann sorts object keys), as 16 hex digits.
std::string stable_hash(const nlohmann::json& value);

class NodeCache {
public:
    // dir empty: memory only.
    explicit NodeCache(std::filesystem::path dir = {});
    std::optional<nlohmann::json> get(const std::string& key);
    // Disk writes go to a temp file and are renamed, so a crash never leaves a torn entry.
    void put(const std::string& key, const nlohmann::json& value);
    void clear_memory();
    const std::filesystem::path& dir() const { return dir_; }
private:
    std::filesystem::path file_for(const std::string& key) const;
    std::filesystem::path dir_;
    std::mutex mu_;
    std::map<std::string, nlohmann::json> memory_;
};

}  // namespace switchyard::pipeline
