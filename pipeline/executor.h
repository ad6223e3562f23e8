// Runs a validated pipeline: nodes in dependency order, independent ones in parallel, mapped
// nodes once per list element, results cached by content. Reports progress as it goes, so the
// CLI can draw a progress bar and the server can send SSE events from the same callbacks.
#pragma once

#include "pipeline/cache.h"
#include "pipeline/definition.h"
#include "pipeline/node_type.h"
#include "pipeline/services.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace switchyard::pipeline {

enum class NodeStatus { pending, running, ok, cached, failed, skipped, cancelled };
std::string to_string(NodeStatus s);

struct NodeRunInfo {
    std::string id;
    std::string type;
    NodeStatus status = NodeStatus::pending;
    double started_ms = -1;      // since the run started; -1 = never started
    double duration_ms = 0;
    std::string message;         // failed: the cause; skipped: why
    int elements = -1;           // mapped nodes: list length
    int cached_elements = 0;     // mapped nodes: elements answered from the cache
};

struct RunResult {
    bool ok = false;
    bool cancelled = false;
    std::string error;           // "node 'x' (llm): cause", "cancelled"
    nlohmann::json outputs = nlohmann::json::object();   // null for outputs of a branch not taken
    std::vector<NodeRunInfo> nodes;                      // in execution (topological) order
    double duration_ms = 0;
    const NodeRunInfo* node(const std::string& id) const;
};

struct ProgressEvent {
    enum class Kind { node_started, node_finished, element_finished } kind = Kind::node_started;
    std::string node_id;
    NodeStatus status = NodeStatus::running;   // node_finished: the final status
    int index = -1;                            // element_finished: which element (0-based)
    int total = -1;                            // element_finished: how many
    double duration_ms = 0;
    std::string message;
    nlohmann::json outputs;                    // node_finished with RunOptions::report_outputs: by port
};
// Called from worker threads, never concurrently with itself.
using ProgressCallback = std::function<void(const ProgressEvent&)>;
// Text pieces of the streamed node as they are generated.
using TokenCallback = std::function<void(const std::string& node_id, const std::string& piece)>;

struct RunOptions {
    int parallelism = 2;                        // nodes running at once
    NodeCache* cache = nullptr;                 // null: no caching
    const std::atomic<bool>* cancel = nullptr;  // checked between nodes and between map elements
    ProgressCallback on_progress;
    TokenCallback on_token;
    // Node whose tokens go to on_token. "" = the node feeding the first output, if it is not mapped.
    std::string stream_node;
    // What file inputs and http nodes may reach (pipeline/confinement.h); null: anything.
    const AccessRules* access = nullptr;
    // Adds each node's outputs to its node_finished event (the editor shows them as they come).
    bool report_outputs = false;
    // The shared store's PostgreSQL URL when store.kind is postgres, else "": where index and
    // retrieve nodes without a `db` param keep their vectors.
    std::string store_url;
};

class Executor {
public:
    Executor(const NodeRegistry& registry, PipelineServices& services) : registry_(registry), services_(services) {}
    // Throws PipelineError when the definition does not validate or the inputs do not fit it;
    // every failure after that is reported in the RunResult.
    RunResult run(const PipelineDefinition& def, const nlohmann::json& inputs, const RunOptions& options = {}) const;

private:
    const NodeRegistry& registry_;
    PipelineServices& services_;
};

// JSON forms for the HTTP API (response body, SSE event data) and `pipeline run --json`.
nlohmann::json to_json(const RunResult& result);
nlohmann::json to_json(const ProgressEvent& event);

// The pipeline's input values with defaults applied; throws PipelineError naming each missing,
// unknown or mistyped input.
nlohmann::json resolve_inputs(const PipelineDefinition& def, const nlohmann::json& given);

}  // namespace switchyard::pipeline
