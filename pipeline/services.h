// How pipeline nodes reach models, without the pipeline library depending on HTTP or the router.
// The CLI and tests use PoolServices (local models, pipeline/pool_services.h); the server will
// supply a router-backed implementation so pipelines can name routes such as "auto".
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace switchyard::pipeline {

// Extras for one chat call: streamed text pieces and a way to stop early.
struct ChatStreamOptions {
    std::function<void(const std::string& piece)> on_delta;   // may be empty
    const std::atomic<bool>* cancel = nullptr;                // may be null
};

struct PipelineServices {
    virtual ~PipelineServices() = default;
    // OpenAI chat.completion request -> response (model may be a local model or a route name). Blocking.
    virtual nlohmann::json chat(const nlohmann::json& request) = 0;
    // Same, reporting content as it is generated. The default answers in one piece, which is
    // correct for any backend that cannot stream.
    virtual nlohmann::json chat_stream(const nlohmann::json& request, const ChatStreamOptions& options) {
        auto response = chat(request);
        if (options.on_delta) {
            const auto& content = response["choices"][0]["message"]["content"];
            if (content.is_string()) options.on_delta(content.get<std::string>());
        }
        return response;
    }
    virtual std::vector<std::vector<float>> embed(const std::string& model, const std::vector<std::string>& texts) = 0;
    // Changes whenever the model's weights change (file path + size + mtime); part of cache keys.
    virtual std::string model_identity(const std::string& model) = 0;
    virtual bool known_model(const std::string& model) = 0;
};

}  // namespace switchyard::pipeline
