#include "pipeline/node_runner.h"

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace switchyard::pipeline {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

bool job_cacheable(const NodeJob& job) {
    if (job.decl.cache.has_value() && !*job.decl.cache) return false;
    return !job.type.cacheable || job.type.cacheable(job.decl.params);
}

// A node that returns a value of the wrong type is a bug in the node, but the message must
// still say where: the pipeline author may be able to work around it.
void check_outputs(const NodeJob& job, const NodeOutputs& outputs) {
    for (const auto& [port, value] : outputs) {
        const PortSpec* spec = job.signature.output(port);
        if (!spec) throw NodeError("produced undeclared output '" + port + "'");
        auto problem = check_value(value, spec->type);
        if (!problem.empty()) throw NodeError("output '" + port + "': " + problem);
    }
}

struct ElementResult {
    NodeOutputs outputs;
    bool cached = false;
};

ElementResult run_element(const NodeJob& job, const std::map<std::string, json>& inputs, PipelineServices& services,
                          NodeCache* cache, const std::atomic<bool>& cancel) {
    std::string key;
    const bool use_cache = cache && job_cacheable(job);
    if (use_cache) {
        key = node_cache_key(job, inputs, services);
        if (auto hit = cache->get(key); hit && hit->is_object()) {
            ElementResult r{{}, true};
            for (const auto& [port, value] : hit->items()) r.outputs[port] = value;
            // A streaming client still gets the answer, in one piece.
            if (job.on_token && r.outputs.count("text") && r.outputs["text"].is_string()) job.on_token(r.outputs["text"]);
            return r;
        }
    }
    NodeContext ctx{job.decl.id, job.decl.params, inputs, services, cancel, job.base_dir, job.on_token, job.access, job.store_url};
    ElementResult r{job.type.run(ctx), false};
    check_outputs(job, r.outputs);
    if (use_cache) cache->put(key, json(r.outputs));
    return r;
}

}  // namespace

std::string node_cache_key(const NodeJob& job, const std::map<std::string, json>& inputs, PipelineServices& services) {
    json models = json::object();
    for (const auto& spec : job.type.params)
        if (spec.names_model && job.decl.params.contains(spec.name) && job.decl.params[spec.name].is_string()) {
            auto name = job.decl.params[spec.name].get<std::string>();
            models[name] = services.model_identity(name);
        }
    json material = {{"type", job.type.name}, {"version", job.type.version}, {"params", job.decl.params},
                     {"inputs", json(inputs)}, {"models", models}};
    if (job.type.cache_extra) material["extra"] = job.type.cache_extra(inputs, job.base_dir);
    return stable_hash(material);
}

NodeJobResult run_node_job(const NodeJob& job, PipelineServices& services, NodeCache* cache,
                           const std::atomic<bool>& cancel, const std::atomic<bool>& stop) {
    NodeJobResult result;
    try {
        if (job.decl.map_port.empty()) {
            auto r = run_element(job, job.inputs, services, cache, cancel);
            result.outputs = std::move(r.outputs);
            result.status = r.cached ? NodeStatus::cached : NodeStatus::ok;
            return result;
        }
        const json& list = job.inputs.at(job.decl.map_port);
        if (!list.is_array()) throw NodeError("map: input '" + job.decl.map_port + "' is not a list");
        const int total = static_cast<int>(list.size());
        result.elements = total;
        std::vector<ElementResult> elements(total);
        std::mutex mu;
        int next = 0;
        std::string first_error;
        auto worker = [&] {
            for (;;) {
                int i;
                {
                    std::lock_guard lock(mu);
                    if (next >= total || !first_error.empty() || stop.load() || cancel.load()) return;
                    i = next++;
                }
                auto element_inputs = job.inputs;
                element_inputs[job.decl.map_port] = list[i];
                auto t0 = std::chrono::steady_clock::now();
                try {
                    elements[i] = run_element(job, element_inputs, services, cache, cancel);
                } catch (const std::exception& e) {
                    std::lock_guard lock(mu);
                    if (first_error.empty()) first_error = "element " + std::to_string(i) + " of " + std::to_string(total) + ": " + e.what();
                    return;
                }
                if (job.on_element) job.on_element(i, total, ms_since(t0));
            }
        };
        const int threads = std::max(1, std::min(job.decl.map_concurrency, total));
        std::vector<std::thread> pool;
        for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
        worker();   // the node's own thread works too
        for (auto& t : pool) t.join();
        if (!first_error.empty()) throw NodeError(first_error);
        if (cancel.load() || (stop.load() && next < total)) {
            result.status = NodeStatus::cancelled;
            return result;
        }
        for (const auto& port : job.signature.outputs) {
            json values = json::array();
            for (auto& e : elements) values.push_back(e.outputs.count(port.name) ? e.outputs[port.name] : json(nullptr));
            result.outputs[port.name] = std::move(values);
        }
        for (const auto& e : elements) result.cached_elements += e.cached ? 1 : 0;
        result.status = total > 0 && result.cached_elements == total ? NodeStatus::cached : NodeStatus::ok;
    } catch (const std::exception& e) {
        // A node interrupted by cancellation is cancelled, not failed (and nothing was cached).
        result.status = cancel.load() ? NodeStatus::cancelled : NodeStatus::failed;
        result.error = e.what();
    }
    return result;
}

}  // namespace switchyard::pipeline
