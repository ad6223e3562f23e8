// Runs one node with its inputs resolved: the cache lookup, the map over a list input, and the
// type check of what the node produced. Internal to the executor.
#pragma once

#include "pipeline/cache.h"
#include "pipeline/definition.h"
#include "pipeline/executor.h"

#include <atomic>
#include <functional>
#include <map>
#include <string>

namespace switchyard::pipeline {

struct NodeJob {
    const NodeDecl& decl;
    const NodeType& type;
    NodeSignature signature;
    std::map<std::string, nlohmann::json> inputs;
    std::filesystem::path base_dir;
    std::function<void(const std::string&)> on_token;        // empty unless this node is streamed
    std::function<void(int index, int total, double ms)> on_element;
    const AccessRules* access = nullptr;
    std::string store_url;
};

struct NodeJobResult {
    NodeStatus status = NodeStatus::ok;     // ok, cached, failed or cancelled
    NodeOutputs outputs;
    std::string error;
    int elements = -1;
    int cached_elements = 0;
};

// stop: set when the run is cancelled or another node failed; checked between elements.
NodeJobResult run_node_job(const NodeJob& job, PipelineServices& services, NodeCache* cache,
                           const std::atomic<bool>& cancel, const std::atomic<bool>& stop);

// The cache key of one execution of a node (one element, for a mapped node).
std::string node_cache_key(const NodeJob& job, const std::map<std::string, nlohmann::json>& inputs,
                           PipelineServices& services);

}  // namespace switchyard::pipeline
