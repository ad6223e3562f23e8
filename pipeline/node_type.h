// What a node type is: its params schema, its ports (which may depend on its params, e.g. a
// switch has one output per case), and the function that runs it. Node types live in a
// NodeRegistry; the built-in ones are in pipeline/nodes/.
#pragma once

#include "pipeline/services.h"
#include "pipeline/value.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchyard::pipeline {

struct AccessRules;   // pipeline/confinement.h

enum class ParamKind { string, integer, number, boolean, string_list, object, any };
std::string to_string(ParamKind k);

struct ParamSpec {
    std::string name;
    ParamKind kind = ParamKind::string;
    bool required = false;
    bool names_model = false;      // value is a model or route name: checked with known_model, part of cache keys
    std::string description;
};

struct PortSpec {
    std::string name;
    ValueType type;
    bool required = true;          // inputs only
};

// The ports of one node instance (they may depend on its params).
struct NodeSignature {
    std::vector<PortSpec> inputs;
    std::vector<PortSpec> outputs;
    // Template variables: any other input name is accepted, of any type, and is required.
    bool accepts_extra_inputs = false;
    const PortSpec* input(const std::string& name) const;
    const PortSpec* output(const std::string& name) const;
};

// A node failure the user can act on (bad value at run time, model error). The executor adds
// the node name.
struct NodeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Everything a node sees while it runs one element.
struct NodeContext {
    std::string node_id;
    const nlohmann::json& params;
    const std::map<std::string, nlohmann::json>& inputs;   // by port name; absent optional inputs are missing
    PipelineServices& services;
    const std::atomic<bool>& cancelled;
    std::filesystem::path base_dir;                        // the pipeline file's folder: relative paths resolve here
    std::function<void(const std::string&)> on_token;      // set only for the node streamed to the caller
    const AccessRules* access = nullptr;                   // what the run may touch; null: anything
    std::string store_url;                                 // RunOptions::store_url

    // A path from an input value, resolved against base_dir and checked against `access`
    // (throws AccessDenied naming `what` and the path). Defined in confinement.cpp.
    std::filesystem::path input_path(const std::filesystem::path& p, const std::string& what) const;

    // Helpers with precise messages; throw NodeError.
    const nlohmann::json& input(const std::string& port) const;
    bool has_input(const std::string& port) const { return inputs.count(port) != 0; }
    std::string text_input(const std::string& port) const;
    std::string string_param(const std::string& key, const std::string& fallback = "") const;
    long long int_param(const std::string& key, long long fallback) const;
    double number_param(const std::string& key, double fallback) const;
    std::filesystem::path path_param(const std::string& key) const;   // relative to base_dir
};

// Output values by port. A port left out was "not produced" (a switch's untaken cases): nodes
// wired to it are skipped.
using NodeOutputs = std::map<std::string, nlohmann::json>;

// Reports problems with a node's params found by a type's own checks (beyond the schema).
using ProblemSink = std::function<void(const std::string& param, const std::string& message)>;

struct NodeType {
    std::string name;
    std::string description;
    std::vector<ParamSpec> params;
    std::function<NodeSignature(const nlohmann::json& params)> signature;
    std::function<NodeOutputs(NodeContext& ctx)> run;
    // Extra static checks, given params and the names of the wired inputs. Optional.
    std::function<void(const nlohmann::json& params, const std::vector<std::string>& wired_inputs,
                       const ProblemSink& problem)> check;
    // False for nodes whose result depends on the outside world (an HTTP POST, a vector index):
    // they run every time. Optional; default true.
    std::function<bool(const nlohmann::json& params)> cacheable;
    // What else a result depends on, beyond params and input values (a file's size and mtime
    // when the input is only its path); part of the cache key. Optional.
    std::function<nlohmann::json(const std::map<std::string, nlohmann::json>& inputs, const std::filesystem::path& base_dir)> cache_extra;
    // False for node types whose outputs cannot become lists (switch: a branch is taken or not).
    bool mappable = true;
    // Bumped when a node's behaviour changes so old cache entries stop matching.
    int version = 1;

    const ParamSpec* param(const std::string& key) const;
};

class NodeRegistry {
public:
    void add(NodeType type);
    const NodeType* find(const std::string& name) const;
    std::vector<std::string> names() const;
    std::string names_joined() const;
    // Every type with its params and its ports for default params, for `pipeline nodes` and
    // an HTTP listing. Ports that depend on params (switch cases, llm json) say so in "note".
    nlohmann::json describe() const;
private:
    std::map<std::string, NodeType> types_;
};

// All built-in node types (template, llm, extract, classify, embed, chunk, switch, index,
// retrieve, http, and ocr / pdf when built with Tesseract / poppler).
const NodeRegistry& builtin_nodes();

}  // namespace switchyard::pipeline
