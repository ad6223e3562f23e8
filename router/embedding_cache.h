// Embeddings of recently seen prompts, so a repeated prompt (retries, the same template sent by
// many clients, a cascade asking twice) is routed without running the embedding model again.
// Entries belong to one version of the model file: the file's size, modification time and inode
// are checked on every lookup (one stat), and a changed file empties the cache, so a replaced
// model never answers with vectors of the old one. Least recently used entries are evicted
// beyond `capacity`. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace switchyard::router {

class EmbeddingCache {
public:
    EmbeddingCache(std::filesystem::path model_file, std::size_t capacity);

    // The vector stored for `text` by the current version of the model file, if any.
    std::optional<std::vector<float>> get(const std::string& text);
    // Stores a vector computed with the current version of the model file.
    void put(const std::string& text, std::vector<float> vec);
    std::size_t size() const;
    std::uint64_t hits() const;

private:
    struct Version {
        std::uintmax_t size = 0;
        std::int64_t mtime_ns = 0;
        std::uint64_t inode = 0;
        bool exists = false;
        bool operator==(const Version&) const = default;
    };
    Version current() const;
    void sync(const Version& v);   // under mu_: drops everything when the file changed

    std::filesystem::path file_;
    std::size_t capacity_;
    mutable std::mutex mu_;
    Version version_;
    std::list<std::pair<std::string, std::vector<float>>> lru_;   // most recent first
    std::unordered_map<std::string, decltype(lru_)::iterator> index_;
    std::uint64_t hits_ = 0;
};

}  // namespace switchyard::router
