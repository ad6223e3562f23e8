// The local model pool as a Provider: one provider for all configured local models, selected by
// the request's "model" field. Serves chat and text completions; the only place that turns
// engine events into OpenAI chunks and responses.
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
    asio::awaitable<ProviderResult> call(const json& request, const ChunkSink* sink, const CallOptions& options) override;

private:
    ModelPool& pool_;
    asio::thread_pool& blocking_;
    std::string name_ = "local";
};

}  // namespace switchyard::providers
