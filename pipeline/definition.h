// A pipeline as written in YAML: typed inputs, named nodes with params and wired inputs, and
// named outputs. Parsing only checks the file's shape; check_pipeline() checks it against the
// node registry and the known models, before anything runs.
#pragma once

#include "pipeline/node_type.h"
#include "pipeline/value.h"

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchyard::pipeline {

// Thrown by load/parse/check with every problem found, one per line, each "file:line: where: what".
struct PipelineError : std::runtime_error {
    std::vector<std::string> problems;
    explicit PipelineError(std::vector<std::string> p);
};

// Where a wire takes its value: `$inputs.NAME` or `NODE.PORT`.
struct Wire {
    enum class From { pipeline_input, node_output } from = From::node_output;
    std::string node;    // node_output only
    std::string name;    // input name, or the node's output port
    int line = 0;        // 1-based, 0 = unknown
    std::string text() const;
};

struct InputDecl {
    std::string name;
    ValueType type;
    std::optional<nlohmann::json> default_value;
    int line = 0;
};

struct NodeDecl {
    std::string id;
    std::string type;
    nlohmann::json params = nlohmann::json::object();
    std::map<std::string, int> param_lines;      // key -> line, for messages
    std::map<std::string, Wire> inputs;          // port -> wire
    std::string map_port;                        // "" = not mapped
    int map_concurrency = 2;
    std::optional<bool> cache;                   // explicit `cache: false` turns caching off
    int line = 0;
};

struct PipelineDefinition {
    std::string name;
    std::string description;
    std::string source;                          // file name for messages
    std::filesystem::path base_dir;              // relative paths in params resolve here
    std::vector<InputDecl> inputs;
    std::vector<NodeDecl> nodes;                 // in file order
    std::vector<std::pair<std::string, Wire>> outputs;

    const NodeDecl* node(const std::string& id) const;
    const InputDecl* input(const std::string& name) const;
};

PipelineDefinition parse_pipeline(const std::string& yaml_text, const std::string& source_name,
                                  const std::filesystem::path& base_dir);
PipelineDefinition load_pipeline_file(const std::filesystem::path& file);

using KnownModel = std::function<bool(const std::string&)>;

// Every problem, in file order; empty means the pipeline can run. known_model may be empty
// (model names are then not checked).
std::vector<std::string> check_pipeline(const PipelineDefinition& def, const NodeRegistry& registry,
                                        const KnownModel& known_model);
// Throws PipelineError when check_pipeline finds anything.
void validate_pipeline(const PipelineDefinition& def, const NodeRegistry& registry, const KnownModel& known_model);

// Node ids in an order where every node comes after the nodes it reads from (file order
// among independent nodes). Requires an acyclic definition.
std::vector<std::string> topological_order(const PipelineDefinition& def);

// The static type of a node's output port as wired (a mapped node outputs lists). nullopt when
// the node or port does not exist.
std::optional<ValueType> output_type(const PipelineDefinition& def, const NodeRegistry& registry,
                                     const std::string& node_id, const std::string& port);

}  // namespace switchyard::pipeline
