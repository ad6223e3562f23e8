// PipelineServices backed by the router: a pipeline node may name a route ("auto", "smart")
// as well as a local model. Route calls run on an io_context (the server's, or a private one
// for the CLI) and are awaited from the pipeline's worker threads; local models and
// embeddings go straight to the pool (PoolServices).
#pragma once

#include "engine/model_pool.h"
#include "pipeline/pool_services.h"
#include "router/router.h"
#include "router/standalone_router.h"

#include <boost/asio.hpp>


namespace switchyard::router {

class RoutedPipelineServices : public pipeline::PipelineServices {
public:
    // `router` may be null (no routes configured): then only local models are known.
    // Must not be called from an io thread of `io` (calls block until the route answers).
    RoutedPipelineServices(ModelPool& pool, Router* router, asio::any_io_executor io);
    nlohmann::json chat(const nlohmann::json& request) override;
    nlohmann::json chat_stream(const nlohmann::json& request, const pipeline::ChatStreamOptions& options) override;
    std::vector<std::vector<float>> embed(const std::string& model, const std::vector<std::string>& texts) override;
    std::string model_identity(const std::string& model) override;
    bool known_model(const std::string& model) override;

private:
    pipeline::PoolServices local_;
    Router* router_;
    asio::any_io_executor io_;
};

// Everything a process without a server needs to run pipelines with routes (the CLI).
class StandalonePipelineHost {
public:
    explicit StandalonePipelineHost(const Config& config);
    pipeline::PipelineServices& services() { return services_; }
    ModelPool& pool() { return host_.pool(); }

private:
    StandaloneRouter host_;
    RoutedPipelineServices services_;
};

}  // namespace switchyard::router
