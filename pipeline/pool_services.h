// PipelineServices over the local ModelPool: chat and embeddings run directly on the engine,
// with no HTTP and no router. Model names are local models or their aliases (not routes).
#pragma once

#include "engine/model_pool.h"
#include "pipeline/services.h"

namespace switchyard::pipeline {

class PoolServices : public PipelineServices {
public:
    explicit PoolServices(ModelPool& pool) : pool_(pool) {}
    nlohmann::json chat(const nlohmann::json& request) override;
    nlohmann::json chat_stream(const nlohmann::json& request, const ChatStreamOptions& options) override;
    std::vector<std::vector<float>> embed(const std::string& model, const std::vector<std::string>& texts) override;
    std::string model_identity(const std::string& model) override;
    bool known_model(const std::string& model) override;

private:
    ModelPool& pool_;
};

// The subset of an OpenAI chat request pipelines send (messages with text content, sampling
// fields, response_format json_schema / json_object), merged over the model's defaults.
// Throws NodeError naming the field when something is not supported.
void parse_pipeline_chat_request(const nlohmann::json& request, const SamplingDefaults& defaults,
                                 ChatInput& input, SamplingParams& sampling);

}  // namespace switchyard::pipeline
