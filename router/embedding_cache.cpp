#include "router/embedding_cache.h"

#include <sys/stat.h>

namespace switchyard::router {

EmbeddingCache::EmbeddingCache(std::filesystem::path model_file, std::size_t capacity)
    : file_(std::move(model_file)), capacity_(capacity) {
    version_ = current();
}

EmbeddingCache::Version EmbeddingCache::current() const {
    Version v;
    struct stat st {};
    if (::stat(file_.c_str(), &st) != 0) return v;
    v.exists = true;
    v.size = static_cast<std::uintmax_t>(st.st_size);
    v.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    v.inode = static_cast<std::uint64_t>(st.st_ino);
    return v;
}

void EmbeddingCache::sync(const Version& v) {
    if (v == version_) return;
    lru_.clear();
    index_.clear();
    version_ = v;
}

std::optional<std::vector<float>> EmbeddingCache::get(const std::string& text) {
    const Version v = current();
    std::lock_guard lock(mu_);
    sync(v);
    if (!v.exists) return std::nullopt;
    auto it = index_.find(text);
    if (it == index_.end()) return std::nullopt;
    lru_.splice(lru_.begin(), lru_, it->second);
    ++hits_;
    return it->second->second;
}

void EmbeddingCache::put(const std::string& text, std::vector<float> vec) {
    if (capacity_ == 0) return;
    const Version v = current();
    std::lock_guard lock(mu_);
    sync(v);
    if (!v.exists) return;
    if (auto it = index_.find(text); it != index_.end()) {
        it->second->second = std::move(vec);
        lru_.splice(lru_.begin(), lru_, it->second);
        return;
    }
    lru_.emplace_front(text, std::move(vec));
    index_[lru_.front().first] = lru_.begin();
    while (lru_.size() > capacity_) {
        index_.erase(lru_.back().first);
        lru_.pop_back();
    }
}

std::size_t EmbeddingCache::size() const {
    std::lock_guard lock(mu_);
    return lru_.size();
}

std::uint64_t EmbeddingCache::hits() const {
    std::lock_guard lock(mu_);
    return hits_;
}

}  // namespace switchyard::router
