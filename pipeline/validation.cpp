// Static checks of a parsed pipeline against the node registry and the known models: every
// problem a run would hit at the wiring level is reported here, before any model is loaded.
#include "pipeline/definition.h"

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>

namespace switchyard::pipeline {

namespace {

bool param_fits(const json& v, ParamKind kind) {
    switch (kind) {
        case ParamKind::string: return v.is_string();
        case ParamKind::integer: return v.is_number_integer();
        case ParamKind::number: return v.is_number();
        case ParamKind::boolean: return v.is_boolean();
        case ParamKind::object: return v.is_object();
        case ParamKind::any: return true;
        case ParamKind::string_list:
            return v.is_array() && std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); });
    }
    return false;
}

std::string joined(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s.empty() ? "none" : s;
}

class Checker {
public:
    Checker(const PipelineDefinition& def, const NodeRegistry& registry, const KnownModel& known_model)
        : def_(def), registry_(registry), known_model_(known_model) {}

    std::vector<std::string> run() {
        check_duplicates();
        for (const auto& node : def_.nodes) check_node(node);
        for (const auto& [name, wire] : def_.outputs) source_type(wire, "outputs." + name);
        if (def_.outputs.empty()) add(0, "pipeline", "no outputs: add `outputs: {NAME: NODE.PORT}`");
        check_cycles();
        return problems_;
    }

private:
    void add(int line, const std::string& where, const std::string& what) {
        std::ostringstream os;
        os << def_.source;
        if (line > 0) os << ":" << line;
        os << ": " << where << ": " << what;
        problems_.push_back(os.str());
    }

    void check_duplicates() {
        std::set<std::string> seen;
        for (const auto& n : def_.nodes)
            if (!seen.insert(n.id).second) add(n.line, "node '" + n.id + "'", "defined twice");
    }

    // Type of the value a wire carries; nullopt (and a problem) when it leads nowhere.
    std::optional<ValueType> source_type(const Wire& w, const std::string& where) {
        if (w.from == Wire::From::pipeline_input) {
            if (const auto* in = def_.input(w.name)) return in->type;
            std::vector<std::string> names;
            for (const auto& in : def_.inputs) names.push_back(in.name);
            add(w.line, where, "unknown pipeline input '" + w.name + "' (inputs: " + joined(names) + ")");
            return std::nullopt;
        }
        const NodeDecl* from = def_.node(w.node);
        if (!from) {
            std::vector<std::string> names;
            for (const auto& n : def_.nodes) names.push_back(n.id);
            add(w.line, where, "'" + w.text() + "' wires to unknown node '" + w.node + "' (nodes: " + joined(names) + ")");
            return std::nullopt;
        }
        const NodeType* type = registry_.find(from->type);
        if (!type) return std::nullopt;   // reported at that node
        if (auto t = output_type(def_, registry_, w.node, w.name)) return t;
        std::vector<std::string> ports;
        try {
            for (const auto& p : type->signature(from->params).outputs) ports.push_back(p.name);
        } catch (const std::exception&) {
        }
        add(w.line, where, "node '" + w.node + "' (" + from->type + ") has no output '" + w.name + "' (outputs: " + joined(ports) + ")");
        return std::nullopt;
    }

    void check_params(const NodeDecl& node, const NodeType& type, const std::string& where) {
        for (const auto& [key, value] : node.params.items()) {
            const int line = node.param_lines.count(key) ? node.param_lines.at(key) : node.line;
            const ParamSpec* spec = type.param(key);
            if (!spec) {
                std::vector<std::string> known;
                for (const auto& p : type.params) known.push_back(p.name);
                add(line, where + ": params." + key, "unknown param for type '" + type.name + "' (known: " + joined(known) + ")");
                continue;
            }
            if (!param_fits(value, spec->kind)) {
                add(line, where + ": params." + key, "expected " + to_string(spec->kind) + ", got " + value.dump());
                continue;
            }
            if (spec->names_model && known_model_ && !known_model_(value.get<std::string>()))
                add(line, where + ": params." + key, "unknown model or route '" + value.get<std::string>() + "'");
        }
        for (const auto& spec : type.params)
            if (spec.required && !node.params.contains(spec.name))
                add(node.line, where + ": params", "missing required param '" + spec.name + "' (" + to_string(spec.kind) +
                                                    (spec.description.empty() ? "" : ": " + spec.description) + ")");
    }

    void check_node(const NodeDecl& node) {
        const std::string where = "node '" + node.id + "'";
        const NodeType* type = registry_.find(node.type);
        if (!type) {
            add(node.line, where, "unknown node type '" + node.type + "' (known: " + registry_.names_joined() + ")");
            return;
        }
        const std::size_t before = problems_.size();
        check_params(node, *type, where);
        if (problems_.size() != before) return;   // the signature may depend on params that are wrong
        NodeSignature sig;
        try {
            sig = type->signature(node.params);
        } catch (const std::exception& e) {
            add(node.line, where + ": params", e.what());
            return;
        }
        std::vector<std::string> wired;
        for (const auto& [port, wire] : node.inputs) wired.push_back(port);
        if (type->check)
            type->check(node.params, wired, [&](const std::string& param, const std::string& message) {
                const int line = node.param_lines.count(param) ? node.param_lines.at(param) : node.line;
                add(line, where + (param.empty() ? "" : ": params." + param), message);
            });
        if (!node.map_port.empty() && !type->mappable)
            add(node.line, where + ": map", "node type '" + node.type + "' cannot be mapped");
        else if (!node.map_port.empty() && !node.inputs.count(node.map_port))
            add(node.line, where + ": map", "maps over '" + node.map_port + "', which is not a wired input");
        for (const auto& [port, wire] : node.inputs) check_input(node, sig, port, wire, where + ": inputs." + port);
        for (const auto& port : sig.inputs)
            if (port.required && !node.inputs.count(port.name))
                add(node.line, where + ": inputs", "missing required input '" + port.name + "' (" + to_string(port.type) + ")");
    }

    void check_input(const NodeDecl& node, const NodeSignature& sig, const std::string& port, const Wire& wire,
                     const std::string& where) {
        const PortSpec* spec = sig.input(port);
        if (!spec && !sig.accepts_extra_inputs) {
            std::vector<std::string> ports;
            for (const auto& p : sig.inputs) ports.push_back(p.name + " (" + to_string(p.type) + ")");
            add(wire.line, where, "node type '" + node.type + "' has no input '" + port + "' (inputs: " + joined(ports) + ")");
            return;
        }
        auto from = source_type(wire, where);
        if (!from) return;
        ValueType want = spec ? spec->type : ValueType::of(ValueKind::any);
        ValueType got = *from;
        if (port == node.map_port) {
            if (got.kind != ValueKind::list && got.kind != ValueKind::any && got.kind != ValueKind::json) {
                add(wire.line, where, "`map: " + port + "` needs a list, but '" + wire.text() + "' is " + to_string(got));
                return;
            }
            got = got.kind == ValueKind::list ? ValueType::of(got.element) : ValueType::of(ValueKind::any);
        }
        if (!assignable(got, want)) {
            std::string hint = got.kind == ValueKind::list && want.kind != ValueKind::list
                                   ? " (to run once per element, add `map: " + port + "`)" : "";
            add(wire.line, where, "expects " + to_string(want) + ", but '" + wire.text() + "' is " + to_string(got) + hint);
        }
    }

    void check_cycles() {
        std::map<std::string, int> state;   // 0 new, 1 on the stack, 2 done
        std::vector<std::string> stack;
        std::function<bool(const NodeDecl&)> visit = [&](const NodeDecl& n) {
            state[n.id] = 1;
            stack.push_back(n.id);
            for (const auto& [port, wire] : n.inputs) {
                if (wire.from != Wire::From::node_output) continue;
                const NodeDecl* dep = def_.node(wire.node);
                if (!dep) continue;
                if (state[dep->id] == 1) {
                    // The stack follows "reads from"; report in data-flow order, as a user draws it.
                    auto start = std::find(stack.begin(), stack.end(), dep->id);
                    std::string cycle = dep->id;
                    for (auto it = stack.end(); it != start + 1;) cycle += " -> " + *--it;
                    add(dep->line, "node '" + dep->id + "'", "cycle: " + cycle + " -> " + dep->id);
                    return true;
                }
                if (state[dep->id] == 0 && visit(*dep)) return true;
            }
            stack.pop_back();
            state[n.id] = 2;
            return false;
        };
        for (const auto& n : def_.nodes)
            if (state[n.id] == 0 && visit(n)) return;   // one cycle is enough to report
    }

    const PipelineDefinition& def_;
    const NodeRegistry& registry_;
    const KnownModel& known_model_;
    std::vector<std::string> problems_;
};

}  // namespace

std::optional<ValueType> output_type(const PipelineDefinition& def, const NodeRegistry& registry,
                                     const std::string& node_id, const std::string& port) {
    const NodeDecl* node = def.node(node_id);
    if (!node) return std::nullopt;
    const NodeType* type = registry.find(node->type);
    if (!type) return std::nullopt;
    try {
        auto sig = type->signature(node->params);
        const PortSpec* out = sig.output(port);
        if (!out) return std::nullopt;
        if (node->map_port.empty()) return out->type;
        // Lists of lists are not modelled: a mapped list output is a list of unknown elements.
        return out->type.kind == ValueKind::list ? ValueType::of(ValueKind::list) : ValueType::list_of(out->type.kind);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::vector<std::string> check_pipeline(const PipelineDefinition& def, const NodeRegistry& registry,
                                        const KnownModel& known_model) {
    return Checker(def, registry, known_model).run();
}

void validate_pipeline(const PipelineDefinition& def, const NodeRegistry& registry, const KnownModel& known_model) {
    auto problems = check_pipeline(def, registry, known_model);
    if (!problems.empty()) throw PipelineError(std::move(problems));
}

std::vector<std::string> topological_order(const PipelineDefinition& def) {
    std::vector<std::string> order;
    std::set<std::string> placed;
    // Repeatedly place the first node (in file order) whose dependencies are all placed:
    // quadratic, but pipelines have tens of nodes and file order is the least surprising order.
    while (order.size() < def.nodes.size()) {
        bool progressed = false;
        for (const auto& n : def.nodes) {
            if (placed.count(n.id)) continue;
            bool ready = std::all_of(n.inputs.begin(), n.inputs.end(), [&](const auto& kv) {
                return kv.second.from != Wire::From::node_output || placed.count(kv.second.node) || !def.node(kv.second.node);
            });
            if (!ready) continue;
            order.push_back(n.id);
            placed.insert(n.id);
            progressed = true;
            break;
        }
        if (!progressed) throw PipelineError({def.source + ": pipeline: the nodes form a cycle"});
    }
    return order;
}

}  // namespace switchyard::pipeline
