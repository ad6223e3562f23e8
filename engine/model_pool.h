// The set of configured models and which of them are in memory. A model is loaded on first use
// (concurrent first uses wait for the same single load), kept for its keep_alive after its last
// request, and the least recently used idle model is evicted when a load would exceed the budget.
#pragma once

#include "config/config.h"
#include "engine/loaded_model.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace switchyard {

class ModelPool;

// Holds a model in memory while a request uses it; releasing it starts the keep-alive clock.
class ModelLease {
public:
    ModelLease() = default;
    ModelLease(ModelPool* pool, std::shared_ptr<LoadedModel> model) : pool_(pool), model_(std::move(model)) {}
    ModelLease(ModelLease&& o) noexcept : pool_(o.pool_), model_(std::move(o.model_)) { o.pool_ = nullptr; }
    ModelLease& operator=(ModelLease&& o) noexcept;
    ~ModelLease() { release(); }
    LoadedModel* operator->() const { return model_.get(); }
    LoadedModel& operator*() const { return *model_; }
    explicit operator bool() const { return model_ != nullptr; }
    void release();
private:
    ModelPool* pool_ = nullptr;
    std::shared_ptr<LoadedModel> model_;
};

struct ModelStatus {
    std::string name;
    std::vector<std::string> aliases;
    std::string kind;
    std::string file;
    std::uint64_t file_bytes = 0;     // 0 if the file is missing
    bool loaded = false;
    std::uint64_t memory_bytes = 0;   // weights + KV cache estimate, when loaded
    int in_use = 0;
    int active = 0;                   // sequences generating now
    int queued = 0;                   // requests waiting for a sequence
    double idle_seconds = 0;
    double load_seconds = 0;
    std::string last_error;
};

class ModelPool {
public:
    using Loader = std::function<std::shared_ptr<LoadedModel>(const ModelSpec&)>;
    explicit ModelPool(Config config, Loader loader = LoadedModel::load);
    ~ModelPool();

    // Resolves name or alias, loading the model if needed. Throws EngineError (unknown_model,
    // model_unavailable, overloaded).
    ModelLease acquire(const std::string& name);
    // The configuration the pool started with (models added later by add_model are not in it).
    const Config& config() const { return config_; }
    // Adds a model at run time (a promoted specialist, config/specialists.h); it loads on first
    // use like the others. Throws std::invalid_argument if the name or an alias is taken.
    void add_model(ModelSpec spec);
    // Whether a name or alias is configured or added; fills `canonical` with the model's name.
    bool has_model(const std::string& name, std::string* canonical = nullptr) const;
    std::vector<ModelStatus> status() const;
    std::uint64_t memory_in_use() const;
    // Unloads idle models whose keep-alive has passed; called by the reaper thread and by tests.
    void reap_idle();
    // Stops every model (ends in-flight generation) and the reaper.
    void shutdown();

private:
    friend class ModelLease;
    struct Entry {
        const ModelSpec* spec = nullptr;
        std::shared_ptr<LoadedModel> model;
        bool loading = false;
        int in_use = 0;
        std::chrono::steady_clock::time_point last_used{};
        std::string last_error;
    };
    void release(LoadedModel* model);
    void evict_for_locked(std::uint64_t need, const Entry* keep, std::unique_lock<std::mutex>& lock);

    Config config_;
    Loader loader_;
    mutable std::mutex mu_;
    std::mutex shutdown_mu_;   // shutdown() may be called from a signal path and the destructor at once
    std::condition_variable cv_;
    std::map<std::string, Entry> entries_;  // by model name
    std::deque<ModelSpec> added_;           // add_model's specs; a deque keeps Entry::spec pointers valid
    const ModelSpec* find_spec_locked(const std::string& name) const;
    bool shutting_down_ = false;
    std::thread reaper_;
};

}  // namespace switchyard
