// Resume cache for `eval run`: one JSON line per answered (target, request) pair, appended and
// flushed as each answer arrives, so an interrupted run resumes where it stopped and a rerun
// with a new checker re-grades cached answers without calling a model.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace switchyard::eval {

using json = nlohmann::json;

// FNV-1a 64 of the text, as 16 hex digits: stable across runs and builds (std::hash is not promised to be).
std::string stable_hash(const std::string& text);

class ResultCache {
public:
    // Creates the folder; reads DIR/results.jsonl if present (a torn last line is ignored).
    explicit ResultCache(const std::filesystem::path& dir);
    // `target` names what answers (route or model, with its tiers' models); the request is the full body.
    static std::string key(const std::string& target, const json& request);
    std::optional<json> get(const std::string& key) const;
    void put(const std::string& key, const json& value);
    std::size_t size() const;

private:
    mutable std::mutex mu_;
    std::map<std::string, json> entries_;
    std::ofstream out_;
};

}  // namespace switchyard::eval
