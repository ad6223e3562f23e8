// Scheduling: the calling thread owns all run state under one mutex and starts a worker thread
// per node as soon as its inputs exist, up to `parallelism` at once. A thread per node (rather
// than a persistent pool) keeps the code simple; nodes call models and take milliseconds to
// minutes, so thread start-up cost does not matter.
#include "pipeline/executor.h"

#include "pipeline/node_runner.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace switchyard::pipeline {

std::string to_string(NodeStatus s) {
    switch (s) {
        case NodeStatus::pending: return "pending";
        case NodeStatus::running: return "running";
        case NodeStatus::ok: return "ok";
        case NodeStatus::cached: return "cached";
        case NodeStatus::failed: return "failed";
        case NodeStatus::skipped: return "skipped";
        case NodeStatus::cancelled: return "cancelled";
    }
    return "?";
}

const NodeRunInfo* RunResult::node(const std::string& id) const {
    for (const auto& n : nodes)
        if (n.id == id) return &n;
    return nullptr;
}

json to_json(const RunResult& result) {
    json nodes = json::array();
    for (const auto& n : result.nodes) {
        json node = {{"id", n.id}, {"type", n.type}, {"status", to_string(n.status)}, {"duration_ms", n.duration_ms}};
        if (n.started_ms >= 0) node["started_ms"] = n.started_ms;
        if (!n.message.empty()) node["message"] = n.message;
        if (n.elements >= 0) node["elements"] = n.elements, node["cached_elements"] = n.cached_elements;
        nodes.push_back(std::move(node));
    }
    json out = {{"ok", result.ok}, {"outputs", result.outputs}, {"nodes", nodes}, {"duration_ms", result.duration_ms}};
    if (!result.ok) out["error"] = result.error;
    if (result.cancelled) out["cancelled"] = true;
    return out;
}

json to_json(const ProgressEvent& e) {
    static const char* kinds[] = {"node_started", "node_finished", "element_finished"};
    json out = {{"event", kinds[static_cast<int>(e.kind)]}, {"node", e.node_id}};
    if (e.kind != ProgressEvent::Kind::node_started) out["duration_ms"] = e.duration_ms;
    if (e.kind == ProgressEvent::Kind::node_finished) out["status"] = to_string(e.status);
    if (e.index >= 0) out["index"] = e.index;
    if (e.total >= 0) out["total"] = e.total;
    if (!e.message.empty()) out["message"] = e.message;
    if (!e.outputs.is_null()) out["outputs"] = e.outputs;
    return out;
}

json resolve_inputs(const PipelineDefinition& def, const json& given) {
    std::vector<std::string> problems;
    json values = json::object();
    if (!given.is_object() && !given.is_null()) throw PipelineError({def.source + ": inputs: expected an object of input values"});
    for (const auto& in : def.inputs) {
        const std::string where = def.source + ": inputs." + in.name + ": ";
        if (given.is_object() && given.contains(in.name)) {
            auto problem = check_value(given[in.name], in.type);
            if (!problem.empty()) problems.push_back(where + problem);
            values[in.name] = given[in.name];
        } else if (in.default_value) {
            values[in.name] = *in.default_value;
        } else {
            problems.push_back(where + "missing (" + to_string(in.type) + ", no default)");
        }
    }
    if (given.is_object())
        for (const auto& [name, value] : given.items())
            if (!def.input(name)) problems.push_back(def.source + ": inputs." + name + ": the pipeline has no such input");
    if (!problems.empty()) throw PipelineError(problems);
    return values;
}

namespace {

double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

ProgressEvent event(ProgressEvent::Kind kind, const std::string& id, NodeStatus status, int index = -1, int total = -1,
                    double ms = 0, const std::string& message = "") {
    ProgressEvent e;
    e.kind = kind;
    e.node_id = id;
    e.status = status;
    e.index = index;
    e.total = total;
    e.duration_ms = ms;
    e.message = message;
    return e;
}

bool finished(NodeStatus s) {
    return s == NodeStatus::ok || s == NodeStatus::cached || s == NodeStatus::failed || s == NodeStatus::skipped ||
           s == NodeStatus::cancelled;
}

class Run {
public:
    Run(const PipelineDefinition& def, const NodeRegistry& registry, PipelineServices& services, const RunOptions& options)
        : def_(def), registry_(registry), services_(services), options_(options) {}

    RunResult execute(const json& inputs) {
        const auto t0 = start_ = std::chrono::steady_clock::now();
        inputs_ = inputs;
        for (const auto& id : topological_order(def_)) {
            const NodeDecl* decl = def_.node(id);
            NodeRunInfo ni;
            ni.id = id;
            ni.type = decl->type;
            result_.nodes.push_back(std::move(ni));
        }
        stream_node_ = options_.stream_node;
        if (stream_node_.empty() && !def_.outputs.empty()) {
            const Wire& w = def_.outputs.front().second;
            if (w.from == Wire::From::node_output && def_.node(w.node) && def_.node(w.node)->map_port.empty()) stream_node_ = w.node;
        }
        schedule();
        collect_outputs();
        result_.duration_ms = ms_between(t0, std::chrono::steady_clock::now());
        return std::move(result_);
    }

private:
    bool cancel_requested() const { return options_.cancel && options_.cancel->load(); }

    void progress(const ProgressEvent& e) {
        if (!options_.on_progress) return;
        std::lock_guard lock(progress_mu_);
        options_.on_progress(e);
    }

    NodeRunInfo& info(const std::string& id) {
        for (auto& n : result_.nodes)
            if (n.id == id) return n;
        throw std::logic_error("no node " + id);
    }

    // Called with mu_ held. nullopt: not ready yet. Sets skip_reason when the node must be skipped.
    std::optional<std::map<std::string, json>> gather_inputs(const NodeDecl& decl, const NodeSignature& sig,
                                                             std::string& skip_reason) {
        std::map<std::string, json> values;
        for (const auto& [port, wire] : decl.inputs) {
            if (wire.from == Wire::From::pipeline_input) {
                values[port] = inputs_[wire.name];
                continue;
            }
            const NodeRunInfo& source = info(wire.node);
            if (!finished(source.status)) return std::nullopt;
            auto produced = outputs_[wire.node].find(wire.name);
            if (produced != outputs_[wire.node].end()) {
                values[port] = produced->second;
                continue;
            }
            const PortSpec* spec = sig.input(port);
            if (!spec || spec->required || port == decl.map_port)
                skip_reason = "input '" + port + "' comes from '" + wire.text() + "', which was not produced" +
                              (source.status == NodeStatus::skipped ? " (" + wire.node + " was skipped)" : " (branch not taken)");
        }
        return values;
    }

    void start_node(const NodeDecl& decl, NodeSignature sig, std::map<std::string, json> inputs) {
        NodeRunInfo& ni = info(decl.id);
        ni.status = NodeStatus::running;
        ni.started_ms = ms_between(start_, std::chrono::steady_clock::now());
        ++running_;
        const NodeType& type = *registry_.find(decl.type);
        threads_.emplace_back([this, &decl, &type, sig = std::move(sig), inputs = std::move(inputs)]() mutable {
            progress(event(ProgressEvent::Kind::node_started, decl.id, NodeStatus::running));
            NodeJob job{decl, type, std::move(sig), std::move(inputs), def_.base_dir, {}, {}, options_.access, options_.store_url};
            if (decl.id == stream_node_ && options_.on_token)
                job.on_token = [this, id = decl.id](const std::string& piece) { options_.on_token(id, piece); };
            job.on_element = [this, id = decl.id](int i, int n, double ms) {
                progress(event(ProgressEvent::Kind::element_finished, id, NodeStatus::running, i, n, ms));
            };
            const auto t0 = std::chrono::steady_clock::now();
            NodeJobResult r = run_node_job(job, services_, options_.cache, cancel_flag(), stop_);
            const double ms = ms_between(t0, std::chrono::steady_clock::now());
            // Reported before the scheduler learns of it, so "finished" always precedes the
            // "started" of the nodes that depend on it.
            ProgressEvent finished = event(ProgressEvent::Kind::node_finished, decl.id, r.status, -1, r.elements, ms, r.error);
            if (options_.report_outputs) finished.outputs = r.outputs;
            progress(finished);
            {
                std::lock_guard lock(mu_);
                NodeRunInfo& done = info(decl.id);
                done.status = r.status;
                done.duration_ms = ms;
                done.message = r.error;
                done.elements = r.elements;
                done.cached_elements = r.cached_elements;
                outputs_[decl.id] = std::move(r.outputs);
                if (r.status == NodeStatus::failed && result_.error.empty()) {
                    result_.error = "node '" + decl.id + "' (" + decl.type + "): " + r.error;
                    stop_ = true;
                }
                --running_;
            }
            cv_.notify_all();
        });
    }

    const std::atomic<bool>& cancel_flag() const { return options_.cancel ? *options_.cancel : never_; }

    // Marks every node that never started once the run is stopping.
    void mark_unstarted(NodeStatus status, const std::string& why) {
        for (auto& n : result_.nodes)
            if (n.status == NodeStatus::pending) {
                n.status = status;
                n.message = why;
                progress(event(ProgressEvent::Kind::node_finished, n.id, status, -1, -1, 0, why));
            }
    }

    void schedule() {
        const int parallelism = std::max(1, options_.parallelism);
        std::unique_lock lock(mu_);
        for (;;) {
            if (cancel_requested()) stop_ = true;
            if (!stop_) {
                for (const auto& n : result_.nodes) {
                    if (running_ >= parallelism) break;
                    if (n.status != NodeStatus::pending) continue;
                    const NodeDecl& decl = *def_.node(n.id);
                    NodeSignature sig = registry_.find(decl.type)->signature(decl.params);
                    std::string skip_reason;
                    auto inputs = gather_inputs(decl, sig, skip_reason);
                    if (!inputs) continue;
                    if (!skip_reason.empty()) {
                        info(n.id).status = NodeStatus::skipped;
                        info(n.id).message = skip_reason;
                        lock.unlock();
                        progress(event(ProgressEvent::Kind::node_finished, n.id, NodeStatus::skipped, -1, -1, 0, skip_reason));
                        lock.lock();
                        continue;
                    }
                    start_node(decl, std::move(sig), std::move(*inputs));
                }
            }
            bool pending = false;
            for (const auto& n : result_.nodes) pending = pending || n.status == NodeStatus::pending;
            if (running_ == 0 && (!pending || stop_)) break;
            // Cancellation is a plain flag owned by the caller, so poll it while waiting.
            cv_.wait_for(lock, std::chrono::milliseconds(50));
        }
        const bool cancelled = cancel_requested() && result_.error.empty();
        if (cancelled) {
            mark_unstarted(NodeStatus::cancelled, "run cancelled");
            result_.cancelled = true;
            result_.error = "cancelled";
        } else if (!result_.error.empty()) {
            mark_unstarted(NodeStatus::skipped, "not started: " + result_.error);
        }
        for (const auto& n : result_.nodes)
            if (n.status == NodeStatus::cancelled && result_.error.empty()) {
                result_.cancelled = true;
                result_.error = "cancelled";
            }
        lock.unlock();
        for (auto& t : threads_) t.join();
        result_.ok = result_.error.empty();
    }

    void collect_outputs() {
        for (const auto& [name, wire] : def_.outputs) {
            if (wire.from == Wire::From::pipeline_input) {
                result_.outputs[name] = inputs_[wire.name];
                continue;
            }
            auto& produced = outputs_[wire.node];
            auto it = produced.find(wire.name);
            result_.outputs[name] = it == produced.end() ? json(nullptr) : it->second;
        }
    }

    const PipelineDefinition& def_;
    const NodeRegistry& registry_;
    PipelineServices& services_;
    const RunOptions& options_;
    json inputs_;
    std::string stream_node_;
    std::chrono::steady_clock::time_point start_;
    RunResult result_;
    std::map<std::string, NodeOutputs> outputs_;
    std::mutex mu_;
    std::mutex progress_mu_;
    std::condition_variable cv_;
    int running_ = 0;
    std::atomic<bool> stop_{false};
    const std::atomic<bool> never_{false};
    std::vector<std::thread> threads_;
};

}  // namespace

RunResult Executor::run(const PipelineDefinition& def, const json& inputs, const RunOptions& options) const {
    validate_pipeline(def, registry_, [this](const std::string& m) { return services_.known_model(m); });
    json values = resolve_inputs(def, inputs);
    return Run(def, registry_, services_, options).execute(values);
}

}  // namespace switchyard::pipeline
