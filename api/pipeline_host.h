// The server's pipelines: definitions from `pipelines.files`, validated when the server starts
// (a broken pipeline stops the start with file:line messages, like a broken config), and the
// threads that run them. A run gets a thread of its own because it blocks for as long as its
// models take; its events come back through a callback the HTTP layer turns into SSE.
#pragma once

#include "config/config.h"
#include "pipeline/pipeline.h"
#include "router/pipeline_services.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

#include "pipeline/confinement.h"

namespace switchyard::api {

class PipelineHost {
public:
    // Throws ConfigError listing every problem of every pipeline file.
    PipelineHost(const Config& config, ModelPool& pool, router::Router* router, boost::asio::any_io_executor io);
    // Cancels runs still going and waits for their threads.
    ~PipelineHost();

    const pipeline::PipelineDefinition* find(const std::string& name) const;
    const std::map<std::string, pipeline::PipelineDefinition>& all() const { return defs_; }

    // One event of a run, in order: progress and token events, then exactly one "result".
    using Emit = std::function<void(nlohmann::json event)>;
    // Starts a run on its own thread. Inputs must already be resolved (resolve_inputs).
    void start(const pipeline::PipelineDefinition& def, nlohmann::json inputs, std::shared_ptr<std::atomic<bool>> cancel,
               Emit emit, std::string stream_node = "");
    // The same for a definition that is not one of the configured ones (the UI's editor runs
    // unsaved edits); the run keeps it alive. report_outputs adds each node's outputs to its
    // node_finished event.
    void start(std::shared_ptr<const pipeline::PipelineDefinition> def, nlohmann::json inputs,
               std::shared_ptr<std::atomic<bool>> cancel, Emit emit, bool report_outputs);
    // Whether a model or route name exists (for check_pipeline).
    bool known_model(const std::string& name) const;

private:
    void start_thread(std::shared_ptr<const pipeline::PipelineDefinition> def, nlohmann::json inputs,
                      std::shared_ptr<std::atomic<bool>> cancel, Emit emit, std::string stream_node, bool report_outputs);
    const Config& config_;
    std::map<std::string, pipeline::PipelineDefinition> defs_;
    router::RoutedPipelineServices services_;
    pipeline::NodeCache cache_;
    int parallel_;
    pipeline::AccessRules access_;   // pipelines.roots, http_hosts, http_allow_private
    std::mutex mu_;
    std::condition_variable idle_;
    int running_ = 0;
    std::vector<std::shared_ptr<std::atomic<bool>>> cancels_;
};

}  // namespace switchyard::api
