// The local model pool as a Provider: one provider for all configured local chat models,
// selected by the request's "model" field.
#pragma once

#include "engine/model_pool.h"
#include "providers/provider.h"

namespace switchyard::providers {

class LocalProvider : public Provider {
public:
    LocalProvider(ModelPool& pool, asio::thread_pool& blocking) : pool_(pool), blocking_(blocking) {}
    const std::string& name() const override { return name_; }
    bool is_local() const override { return true; }
    asio::awaitable<ProviderResult> chat(const json& request, const ChunkSink* sink) override;

private:
    ModelPool& pool_;
    asio::thread_pool& blocking_;
    std::string name_ = "local";
};

}  // namespace switchyard::providers
