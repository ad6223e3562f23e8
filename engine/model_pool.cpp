#include "engine/model_pool.h"

#include "engine/engine_error.h"

#include <algorithm>
#include <filesystem>

namespace switchyard {

ModelLease& ModelLease::operator=(ModelLease&& o) noexcept {
    if (this != &o) {
        release();
        pool_ = o.pool_;
        model_ = std::move(o.model_);
        o.pool_ = nullptr;
    }
    return *this;
}

void ModelLease::release() {
    if (pool_ && model_) pool_->release(model_.get());
    pool_ = nullptr;
    model_.reset();
}

ModelPool::ModelPool(Config config, Loader loader) : config_(std::move(config)), loader_(std::move(loader)) {
    for (const auto& m : config_.models) entries_[m.name].spec = &m;
    reaper_ = std::thread([this] {
        std::unique_lock lock(mu_);
        while (!shutting_down_) {
            cv_.wait_for(lock, std::chrono::seconds(1));
            if (shutting_down_) break;
            lock.unlock();
            reap_idle();
            lock.lock();
        }
    });
}

ModelPool::~ModelPool() { shutdown(); }

const ModelSpec* ModelPool::find_spec_locked(const std::string& name) const {
    if (const ModelSpec* spec = config_.find_model(name)) return spec;
    for (const auto& m : added_)
        if (m.name == name || std::find(m.aliases.begin(), m.aliases.end(), name) != m.aliases.end()) return &m;
    return nullptr;
}

void ModelPool::add_model(ModelSpec spec) {
    std::lock_guard lock(mu_);
    for (const auto& n : [&] { auto all = spec.aliases; all.push_back(spec.name); return all; }())
        if (find_spec_locked(n)) throw std::invalid_argument("a model named '" + n + "' already exists");
    added_.push_back(std::move(spec));
    entries_[added_.back().name].spec = &added_.back();
}

bool ModelPool::has_model(const std::string& name, std::string* canonical) const {
    std::lock_guard lock(mu_);
    const ModelSpec* spec = find_spec_locked(name);
    if (spec && canonical) *canonical = spec->name;
    return spec != nullptr;
}

ModelLease ModelPool::acquire(const std::string& name) {
    const ModelSpec* spec = nullptr;
    {
        std::lock_guard lock(mu_);
        spec = find_spec_locked(name);
    }
    if (!spec) {
        std::string known;
        for (const auto& m : config_.models) known += (known.empty() ? "" : ", ") + m.name;
        {
            std::lock_guard lock(mu_);
            for (const auto& m : added_) known += ", " + m.name;
        }
        throw EngineError(EngineErrorKind::unknown_model, "The model '" + name + "' does not exist (configured models: " + known + ")", "model");
    }
    std::unique_lock lock(mu_);
    Entry& e = entries_[spec->name];
    // Another request is loading this model: wait for that one load instead of starting a second.
    cv_.wait(lock, [&] { return !e.loading || shutting_down_; });
    if (shutting_down_) throw EngineError(EngineErrorKind::overloaded, "the server is shutting down");
    if (!e.model) {
        std::error_code ec;
        auto file_size = std::filesystem::file_size(spec->file, ec);
        evict_for_locked(ec ? 0 : file_size, &e, lock);
        e.loading = true;
        lock.unlock();
        std::shared_ptr<LoadedModel> loaded;
        std::string error;
        EngineError failure(EngineErrorKind::internal, "");
        bool failed = false;
        try {
            loaded = loader_(*spec);
        } catch (const EngineError& err) {
            failure = err; failed = true;
        } catch (const std::exception& err) {
            failure = EngineError(EngineErrorKind::model_unavailable, "model '" + spec->name + "' failed to load: " + err.what());
            failed = true;
        }
        lock.lock();
        e.loading = false;
        if (failed) {
            e.last_error = failure.what();
            cv_.notify_all();
            throw failure;
        }
        e.model = std::move(loaded);
        e.last_error.clear();
        // Count this request as a user before the lock is released again (eviction below unlocks),
        // so neither the reaper nor another eviction can take the model we just loaded.
        ++e.in_use;
        e.last_used = std::chrono::steady_clock::now();
        cv_.notify_all();
        // The real size is known now (KV cache included); make room for it if the file size underestimated.
        evict_for_locked(0, &e, lock);
        return ModelLease(this, e.model);
    }
    ++e.in_use;
    e.last_used = std::chrono::steady_clock::now();
    return ModelLease(this, e.model);
}

void ModelPool::release(LoadedModel* model) {
    std::lock_guard lock(mu_);
    for (auto& [name, e] : entries_) {
        if (e.model.get() == model) {
            --e.in_use;
            e.last_used = std::chrono::steady_clock::now();
        }
    }
}

std::uint64_t ModelPool::memory_in_use() const {
    std::lock_guard lock(mu_);
    std::uint64_t total = 0;
    for (const auto& [name, e] : entries_) if (e.model) total += e.model->memory_bytes();
    return total;
}

// Evicts least-recently-used idle models until `need` more bytes fit in the budget. Models in use
// are never evicted; if they alone fill the budget the load still goes ahead (one model always fits).
void ModelPool::evict_for_locked(std::uint64_t need, const Entry* keep, std::unique_lock<std::mutex>& lock) {
    for (;;) {
        std::uint64_t used = 0;
        for (const auto& [n, e] : entries_) if (e.model) used += e.model->memory_bytes();
        if (used + need <= config_.memory_budget_bytes) return;
        Entry* victim = nullptr;
        for (auto& [n, e] : entries_) {
            if (!e.model || e.in_use > 0 || &e == keep) continue;
            if (!victim || e.last_used < victim->last_used) victim = &e;
        }
        if (!victim) return;
        auto model = std::move(victim->model);
        lock.unlock();
        model.reset();  // frees weights and KV outside the lock
        lock.lock();
    }
}

void ModelPool::reap_idle() {
    std::vector<std::shared_ptr<LoadedModel>> dead;
    {
        std::lock_guard lock(mu_);
        auto now = std::chrono::steady_clock::now();
        for (auto& [n, e] : entries_) {
            if (!e.model || e.in_use > 0 || e.spec->keep_alive == std::chrono::seconds::max()) continue;
            if (now - e.last_used >= e.spec->keep_alive) dead.push_back(std::move(e.model));
        }
    }
    dead.clear();
}

std::vector<ModelStatus> ModelPool::status() const {
    std::lock_guard lock(mu_);
    std::vector<ModelStatus> out;
    auto now = std::chrono::steady_clock::now();
    std::vector<const ModelSpec*> specs;
    for (const auto& spec : config_.models) specs.push_back(&spec);
    for (const auto& spec : added_) specs.push_back(&spec);
    for (const ModelSpec* sp : specs) {
        const ModelSpec& spec = *sp;
        const Entry& e = entries_.at(spec.name);
        ModelStatus s;
        s.name = spec.name;
        s.aliases = spec.aliases;
        s.kind = spec.kind == ModelKind::chat ? "chat" : "embedding";
        s.file = spec.file.string();
        std::error_code ec;
        auto size = std::filesystem::file_size(spec.file, ec);
        s.file_bytes = ec ? 0 : size;
        s.loaded = e.model != nullptr;
        s.in_use = e.in_use;
        s.last_error = e.last_error;
        if (e.model) {
            s.memory_bytes = e.model->memory_bytes();
            s.active = e.model->active();
            s.queued = e.model->queued();
            s.load_seconds = e.model->load_seconds();
            s.idle_seconds = e.in_use ? 0 : std::chrono::duration<double>(now - e.last_used).count();
        }
        out.push_back(std::move(s));
    }
    return out;
}

void ModelPool::shutdown() {
    std::lock_guard once(shutdown_mu_);
    std::vector<std::shared_ptr<LoadedModel>> models;
    {
        std::lock_guard lock(mu_);
        if (shutting_down_ && !reaper_.joinable()) return;
        shutting_down_ = true;
        for (auto& [n, e] : entries_) if (e.model) models.push_back(e.model);
    }
    cv_.notify_all();
    if (reaper_.joinable()) reaper_.join();
    for (auto& m : models) m->stop();
    std::lock_guard lock(mu_);
    for (auto& [n, e] : entries_) e.model.reset();
}

}  // namespace switchyard
