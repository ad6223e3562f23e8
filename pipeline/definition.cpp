// Parsing of pipeline YAML into a PipelineDefinition. Only the file's shape is checked here
// (known top-level keys, wire syntax, type names); everything that needs the node registry is
// in validation.cpp. Problems are collected rather than thrown one at a time, so a user fixes a
// file in one pass.
#include "pipeline/definition.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

namespace switchyard::pipeline {

namespace {

int line_of(const YAML::Node& n) {
    return n.IsDefined() && n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
}

struct Problems {
    std::string source;
    std::vector<std::string> list;
    void add(int line, const std::string& where, const std::string& what) {
        std::ostringstream os;
        os << source;
        if (line > 0) os << ":" << line;
        os << ": " << where << ": " << what;
        list.push_back(os.str());
    }
};

// Plain YAML scalars get JSON types the way a YAML reader expects (true, 3, 0.5, null);
// quoted scalars always stay strings.
json scalar_to_json(const YAML::Node& n) {
    const std::string& s = n.Scalar();
    if (n.Tag() == "!") return s;
    if (s == "~" || s == "null" || s.empty()) return nullptr;
    if (s == "true" || s == "True") return true;
    if (s == "false" || s == "False") return false;
    try {
        std::size_t used = 0;
        long long i = std::stoll(s, &used);
        if (used == s.size()) return i;
        double d = std::stod(s, &used);
        if (used == s.size()) return d;
    } catch (const std::exception&) {
    }
    return s;
}

// Thrown for a shape that stops parsing at once; parse_pipeline turns it into a problem.
struct Unreadable {
    int line;
    std::string what;
};

// A mapping key as text; a list or mapping used as a key (`[a]: 1`) is refused.
std::string key_text(const YAML::Node& k) {
    if (!k.IsScalar()) throw Unreadable{line_of(k), "keys must be plain names, not lists or mappings"};
    return k.Scalar();
}

// YAML aliases share nodes, so a small file can describe a huge (or, with `&a [*a]`, endless)
// value; converting it would exhaust memory or the stack. Param values are small in practice.
constexpr std::size_t kMaxParamValues = 100000;
constexpr int kMaxParamDepth = 64;

json yaml_to_json(const YAML::Node& n, std::size_t& budget, int depth) {
    if (budget == 0) throw Unreadable{line_of(n), "value too large: more than " + std::to_string(kMaxParamValues) + " items once aliases are expanded"};
    if (depth > kMaxParamDepth) throw Unreadable{line_of(n), "value nested more than " + std::to_string(kMaxParamDepth) + " levels deep (or an alias that contains itself)"};
    --budget;
    if (n.IsScalar()) return scalar_to_json(n);
    if (n.IsSequence()) {
        json a = json::array();
        for (const auto& e : n) a.push_back(yaml_to_json(e, budget, depth + 1));
        return a;
    }
    if (n.IsMap()) {
        json o = json::object();
        for (const auto& kv : n) o[key_text(kv.first)] = yaml_to_json(kv.second, budget, depth + 1);
        return o;
    }
    return nullptr;
}

json yaml_to_json(const YAML::Node& n) {
    std::size_t budget = kMaxParamValues;
    return yaml_to_json(n, budget, 0);
}

void only_keys(Problems& p, const YAML::Node& map, const std::string& where, const std::set<std::string>& keys) {
    for (const auto& kv : map) {
        auto key = key_text(kv.first);
        if (keys.count(key)) continue;
        std::string allowed;
        for (const auto& k : keys) allowed += (allowed.empty() ? "" : ", ") + k;
        p.add(line_of(kv.first), where, "unknown key '" + key + "' (allowed: " + allowed + ")");
    }
}

std::optional<Wire> parse_wire(Problems& p, const YAML::Node& n, const std::string& where) {
    if (!n.IsScalar()) {
        p.add(line_of(n), where, "expected a wire like `$inputs.NAME` or `NODE.PORT`");
        return std::nullopt;
    }
    const std::string text = n.Scalar();
    Wire w;
    w.line = line_of(n);
    const std::string input_prefix = "$inputs.";
    if (text.rfind(input_prefix, 0) == 0 && text.size() > input_prefix.size()) {
        w.from = Wire::From::pipeline_input;
        w.name = text.substr(input_prefix.size());
        return w;
    }
    auto dot = text.find('.');
    if (text.empty() || text[0] == '$' || dot == std::string::npos || dot == 0 || dot + 1 == text.size()) {
        p.add(w.line, where, "'" + text + "' is not a wire; write `$inputs.NAME` for a pipeline input or `NODE.PORT` for a node output");
        return std::nullopt;
    }
    w.from = Wire::From::node_output;
    w.node = text.substr(0, dot);
    w.name = text.substr(dot + 1);
    return w;
}

void parse_inputs(Problems& p, const YAML::Node& n, PipelineDefinition& def) {
    if (!n.IsMap()) return p.add(line_of(n), "inputs", "expected a mapping of input name to {type, default}");
    for (const auto& kv : n) {
        InputDecl in;
        in.name = key_text(kv.first);
        in.line = line_of(kv.first);
        const std::string where = "inputs." + in.name;
        const YAML::Node& spec = kv.second;
        std::string type_name;
        if (spec.IsScalar()) {
            type_name = spec.Scalar();   // shorthand: `text: text`
        } else if (spec.IsMap()) {
            only_keys(p, spec, where, {"type", "default", "description"});
            if (!spec["type"]) p.add(in.line, where, "missing required key 'type' (" + known_value_type_names() + ")");
            else if (!spec["type"].IsScalar()) p.add(line_of(spec["type"]), where + ".type", "expected a type name (" + known_value_type_names() + ")");
            else type_name = spec["type"].Scalar();
            if (spec["default"]) in.default_value = yaml_to_json(spec["default"]);
        } else {
            p.add(in.line, where, "expected a type name or {type, default}");
        }
        if (!type_name.empty()) {
            auto type = parse_value_type(type_name);
            if (!type) p.add(in.line, where + ".type", "unknown type '" + type_name + "' (known: " + known_value_type_names() + ")");
            else in.type = *type;
        }
        if (in.default_value && !type_name.empty()) {
            auto problem = check_value(*in.default_value, in.type);
            if (!problem.empty()) p.add(line_of(spec["default"]), where + ".default", problem);
        }
        def.inputs.push_back(std::move(in));
    }
}

void parse_node(Problems& p, const std::string& id, const YAML::Node& n, int line, PipelineDefinition& def) {
    NodeDecl node;
    node.id = id;
    node.line = line;
    const std::string where = "node '" + id + "'";
    if (id.find('.') != std::string::npos || id.empty() || id[0] == '$')
        p.add(line, where, "node names may not be empty, contain '.' or start with '$'");
    if (!n.IsMap()) {
        p.add(line, where, "expected a mapping with type, params, inputs");
        return;
    }
    only_keys(p, n, where, {"type", "params", "inputs", "map", "map_concurrency", "cache", "description"});
    if (!n["type"] || !n["type"].IsScalar()) p.add(line, where, "missing required key 'type'");
    else node.type = n["type"].Scalar();
    if (const auto params = n["params"]) {
        if (!params.IsMap()) {
            p.add(line_of(params), where + ": params", "expected a mapping");
        } else {
            for (const auto& kv : params) {
                auto key = key_text(kv.first);
                node.params[key] = yaml_to_json(kv.second);
                node.param_lines[key] = line_of(kv.first);
            }
        }
    }
    if (const auto inputs = n["inputs"]) {
        if (!inputs.IsMap()) {
            p.add(line_of(inputs), where + ": inputs", "expected a mapping of port to wire");
        } else {
            for (const auto& kv : inputs) {
                auto port = key_text(kv.first);
                if (auto wire = parse_wire(p, kv.second, where + ": inputs." + port)) node.inputs[port] = *wire;
            }
        }
    }
    if (const auto m = n["map"]) {
        if (!m.IsScalar() || m.Scalar().empty()) p.add(line_of(m), where + ": map", "expected the name of a list input port");
        else node.map_port = m.Scalar();
    }
    if (const auto mc = n["map_concurrency"]) {
        auto v = scalar_to_json(mc);
        if (!mc.IsScalar() || !v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 64)
            p.add(line_of(mc), where + ": map_concurrency", "expected an integer between 1 and 64");
        else node.map_concurrency = v.get<int>();
    }
    if (const auto c = n["cache"]) {
        auto v = scalar_to_json(c);
        if (!c.IsScalar() || !v.is_boolean()) p.add(line_of(c), where + ": cache", "expected true or false");
        else node.cache = v.get<bool>();
    }
    def.nodes.push_back(std::move(node));
}

}  // namespace

PipelineError::PipelineError(std::vector<std::string> p)
    : std::runtime_error([&] {
          std::string all;
          for (const auto& s : p) all += (all.empty() ? "" : "\n") + s;
          return all;
      }()),
      problems(std::move(p)) {}

std::string Wire::text() const {
    return from == From::pipeline_input ? "$inputs." + name : node + "." + name;
}

const NodeDecl* PipelineDefinition::node(const std::string& id) const {
    for (const auto& n : nodes)
        if (n.id == id) return &n;
    return nullptr;
}

const InputDecl* PipelineDefinition::input(const std::string& input_name) const {
    for (const auto& in : inputs)
        if (in.name == input_name) return &in;
    return nullptr;
}

namespace {
PipelineDefinition parse_root(Problems& p, const YAML::Node& root, const std::string& source_name,
                              const std::filesystem::path& base_dir);
}  // namespace

PipelineDefinition parse_pipeline(const std::string& yaml_text, const std::string& source_name,
                                  const std::filesystem::path& base_dir) {
    Problems p{source_name, {}};
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::ParserException& e) {
        p.add(e.mark.line + 1, "yaml", e.msg);
        throw PipelineError(p.list);
    }
    try {
        return parse_root(p, root, source_name, base_dir);
    } catch (const Unreadable& u) {
        p.add(u.line, "yaml", u.what);
    } catch (const YAML::Exception& e) {  // a shape the checks did not anticipate: still a located problem
        p.add(e.mark.is_null() ? 0 : e.mark.line + 1, "yaml", e.msg);
    }
    throw PipelineError(p.list);
}

namespace {

PipelineDefinition parse_root(Problems& p, const YAML::Node& root, const std::string& source_name,
                              const std::filesystem::path& base_dir) {
    PipelineDefinition def;
    def.source = source_name;
    def.base_dir = base_dir;
    if (!root.IsMap()) {
        p.add(line_of(root), "pipeline", "expected a mapping with name, inputs, nodes, outputs");
        throw PipelineError(p.list);
    }
    only_keys(p, root, "pipeline", {"name", "description", "inputs", "nodes", "outputs"});
    if (root["name"] && root["name"].IsScalar()) def.name = root["name"].Scalar();
    else p.add(line_of(root), "pipeline", "missing required key 'name'");
    if (root["description"] && root["description"].IsScalar()) def.description = root["description"].Scalar();
    if (root["inputs"]) parse_inputs(p, root["inputs"], def);
    if (!root["nodes"] || !root["nodes"].IsMap() || root["nodes"].size() == 0) {
        p.add(line_of(root["nodes"]), "pipeline", "'nodes' must be a non-empty mapping of node name to node");
    } else {
        for (const auto& kv : root["nodes"]) parse_node(p, key_text(kv.first), kv.second, line_of(kv.first), def);
    }
    if (const auto outputs = root["outputs"]) {
        if (!outputs.IsMap()) {
            p.add(line_of(outputs), "outputs", "expected a mapping of output name to `NODE.PORT`");
        } else {
            for (const auto& kv : outputs) {
                auto name = key_text(kv.first);
                if (auto wire = parse_wire(p, kv.second, "outputs." + name)) def.outputs.emplace_back(name, *wire);
            }
        }
    }
    if (!p.list.empty()) throw PipelineError(p.list);
    return def;
}

}  // namespace

PipelineDefinition load_pipeline_file(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw PipelineError({file.string() + ": cannot read the file"});
    std::stringstream text;
    text << in.rdbuf();
    return parse_pipeline(text.str(), file.string(), file.parent_path());
}

}  // namespace switchyard::pipeline
